"""Lesson 07: the char-level LM trains, samples reproducibly, and its unit search works."""

import json

import keras
import numpy as np
import pytest

from course_utils import CourseError, sampling
from lessons import lesson07_char_lm as lesson
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars

VOCAB = list("\n !',.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def small_model(seed=0, cell="gru", units=16):
    keras.utils.set_random_seed(seed)
    spec = lesson.ModelSpec(len(VOCAB), cell=cell, units=units, layers=2, embed_dim=8)
    return lesson.build_model(spec), spec


def test_sampling_helpers():
    logits = np.array([1.0, 3.0, 2.0, -1.0])
    np.testing.assert_allclose(sampling.probabilities(logits, 0), [0, 1, 0, 0])
    probs = sampling.probabilities(logits, 1.0, top_k=2)
    assert probs[0] == 0 and probs[3] == 0 and probs[1] > probs[2] > 0
    np.testing.assert_allclose(probs.sum(), 1.0)
    hot, cold = sampling.probabilities(logits, 2.0), sampling.probabilities(logits, 0.5)
    assert cold.max() > hot.max()  # low temperature sharpens
    assert sampling.sample(logits, np.random.default_rng(0), temperature=0) == 1
    with pytest.raises(CourseError):
        sampling.probabilities(logits, -1.0)


def test_sampling_with_a_fixed_seed_is_reproducible():
    model, spec = small_model()
    generator = lesson.Generator(model, spec, VOCAB)
    first = generator.generate("ROMEO:", 60, temperature=1.0, seed=7)
    again = generator.generate("ROMEO:", 60, temperature=1.0, seed=7)
    other = generator.generate("ROMEO:", 60, temperature=1.0, seed=8)
    assert first == again and len(first) == 60
    assert first != other


def test_temperature_to_zero_equals_greedy():
    model, spec = small_model(seed=3)
    generator = lesson.Generator(model, spec, VOCAB)
    greedy = generator.generate("To be", 40, temperature=0)
    assert generator.generate("To be", 40, temperature=1e-6, seed=1) == greedy
    # Greedy by hand with the stateless model re-reading the whole text each step.
    index = {c: i for i, c in enumerate(VOCAB)}
    text = "To be"
    for _ in range(10):
        logits = model.predict_on_batch(np.array([[index[c] for c in text]], dtype=np.int32))[0, -1]
        text += VOCAB[int(np.argmax(logits))]
    assert text[5:] == greedy[:10]


def test_stateful_and_stateless_give_the_same_loss_on_the_first_window():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, len(VOCAB), size=5_000).astype(np.int32)
    stateless, spec = small_model(seed=1, cell="lstm")
    stateful = lesson.twin(stateless, spec, stateful=True, batch_size=4)
    x, y = lesson.stream_batches(ids, seq_len=20, batch_size=4)
    stream_starts = np.arange(4) * ((len(ids) - 1) // 4)
    assert np.array_equal(x[1][:, 0], ids[stream_starts + 20])  # row r of window 2 continues row r of window 1
    lesson.reset_states(stateful)
    first_stateful = lesson.nll_sum(stateful.predict_on_batch(x[0]), y[0])
    first_stateless = lesson.nll_sum(stateless.predict_on_batch(x[0]), y[0])
    assert first_stateful == pytest.approx(first_stateless, rel=1e-5)
    # On the second window the stateful model starts from the state the first one left.
    second_stateful = lesson.nll_sum(stateful.predict_on_batch(x[1]), y[1])
    second_stateless = lesson.nll_sum(stateless.predict_on_batch(x[1]), y[1])
    assert second_stateful != pytest.approx(second_stateless, rel=1e-5)
    # ... which is exactly what reading both windows as one sequence gives.
    joined = np.concatenate([x[0], x[1]], axis=1)
    whole = stateless.predict_on_batch(joined)[:, 20:]
    assert second_stateful == pytest.approx(lesson.nll_sum(whole, y[1]), rel=1e-4)


def test_carried_state_evaluation_equals_reading_the_text_in_one_go():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, len(VOCAB), size=601).astype(np.int32)  # a short text: 600 (input, target) pairs
    stateless, spec = small_model(seed=2)
    carried = lesson.carried_state_loss(lesson.twin(stateless, spec, stateful=True, batch_size=1), ids, chunk=50)
    whole = lesson.nll_sum(stateless.predict_on_batch(ids[None, :-1]), ids[None, 1:]) / 600
    assert carried == pytest.approx(whole, rel=1e-4)
    assert lesson.eval_streams(600) == 5
    # Fresh-state windows see less context; a short text still gives a (partial) batch.
    assert lesson.windowed_loss(stateless, ids, seq_len=64) > 0


def test_neuron_search_finds_a_planted_unit():
    rng = np.random.default_rng(0)
    speakers, words = ["First Citizen", "All", "MENENIUS", "KING RICHARD III"], "the a speak of me hear thee".split()
    text = "".join(
        f"{rng.choice(speakers)}:\n" + " ".join(rng.choice(words, size=rng.integers(3, 12))) + ".\n\n"
        for _ in range(120)
    )
    features = lesson.text_features(text)
    name_line = features["speaker-name line (ends with ':')"]
    activations = np.tanh(rng.normal(size=(len(text), 200)))
    activations[:, 137] = np.tanh(2.0 * name_line - 1.0 + 0.5 * rng.normal(size=len(text)))
    found = {f["feature"]: f for f in lesson.search_units(activations, features, seed=0)}
    best = found["speaker-name line (ends with ':')"]
    assert best["unit"] == 137 and best["r"] > 0.6
    assert best["chance_abs_r"] < 0.2
    assert found["position in the line"]["unit"] != 137 or abs(found["position in the line"]["r"]) < 0.5


def test_text_features():
    text = 'AB:\nsay "hi" (x)\n'
    f = lesson.text_features(text)
    assert list(f["speaker-name line (ends with ':')"][:5]) == [1, 1, 1, 0, 0]
    assert list(f["position in the line"][4:8]) == [0, 1, 2, 3]
    assert f["inside double quotes"][text.index("h")] == 1 and f["inside double quotes"][text.index("s")] == 0
    assert f["inside brackets"][text.index("x")] == 1


def test_quick_run_end_to_end(real_data, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert lesson.run(["--quick", "--run-dir", str(run_dir)]) == 0
    metrics = read_metrics(run_dir)
    # A 2-epoch seeded run on 108k characters must be far better than guessing among 65 characters.
    assert metrics["val_loss_nats"] < 0.7 * np.log(65)
    assert metrics["val_bpc"] == pytest.approx(metrics["val_loss_nats"] / np.log(2))
    assert metrics["val_perplexity"] == pytest.approx(np.exp(metrics["val_loss_nats"]))
    assert metrics["epochs"] == metrics["epochs_run"] == 2
    assert len(metrics["samples"]["0.5"]) == 120
    neurons = metrics["neurons"]
    assert neurons and abs(neurons[0]["r"]) > 2 * neurons[0]["chance_abs_r"]
    for png in ("loss_curves.png", "neuron_search.png", "neuron_1.png"):
        assert_png(run_dir / png)
    scalars = tensorboard_scalars(run_dir / "logs")
    assert sorted(scalars["validation/epoch_loss"]) == [0, 1]
    assert sorted(scalars["validation/epoch_bpc"]) == [0, 1]
    assert "lesson/final/val_perplexity" in scalars
    assert sorted(scalars["lesson/samples"]) == [0, 1]  # a text sample in TensorBoard after every epoch
    assert json.loads((run_dir / lesson.CHAR_FILE).read_text())["vocab"][0] == "\n"

    capsys.readouterr()
    model = str(run_dir / "model.keras")
    assert lesson.run(["predict", "--model", model, "--length", "30", "--seed", "3", "ROMEO:", "To be"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ROMEO:") and "To be" in out
    assert lesson.run(["predict", "--model", model, "--length", "30", "--seed", "3", "ROMEO:", "To be"]) == 0
    assert capsys.readouterr().out == out  # same seed, same text
    assert lesson.run(["predict", "--model", model, "--temperature", "0", "--length", "30", "héllo"]) == 2
    assert "never saw" in capsys.readouterr().err


def test_compare_runs_both_variants(real_data, tmp_path):
    run_dir = tmp_path / "cmp"
    assert (
        lesson.run(
            ["compare", "--quick", "--epochs", "1", "--units", "32", "--neuron-chars", "500", "--run-dir", str(run_dir)]
        )
        == 0
    )
    metrics = read_metrics(run_dir)
    assert metrics["stateless_val_loss_nats"] < np.log(65) and metrics["stateful_val_loss_nats"] < np.log(65)
    assert_png(run_dir / "stateless_vs_stateful.png")


@pytest.fixture
def bad_texts(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 100)
    (tmp_path / "tiny.txt").write_text("To be or not to be.\n" * 10)
    (tmp_path / "latin1.txt").write_bytes(("caf\xe9 " * 3000).encode("latin-1"))
    return tmp_path


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--text", "{dir}/empty.txt"], "is empty"),
        (["--text", "{dir}/binary.bin"], "looks binary"),
        (["--text", "{dir}/tiny.txt"], "has only 200 characters"),
        (["--text", "{dir}/latin1.txt"], "not UTF-8"),
        (["--text", "{dir}/missing.txt"], "does not exist"),
        (["--temperature", "-1"], "expected 0 or more"),
        (["--epochs", "0"], "expected a number above 0"),
        (["predict", "--model", "nope.keras", "ROMEO:"], "does not exist"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, bad_texts, capsys):
    argv = [a.replace("{dir}", str(bad_texts)) for a in argv]
    assert_one_line_error(lesson.run, argv, capsys, message)
