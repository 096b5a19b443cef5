"""Lesson 07: the lesson runs as a notebook (quick) and learns; sampling, stateful reading and the unit search work."""

import json
import re

import keras
import numpy as np
import pytest

from course_utils import CourseError, layers
from course_utils.lesson import definitions
from tests.helpers import lesson_main as main
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars
from tests.notebook import (
    assert_every_code_cell_shows_something,
    code_cell_lengths,
    execute_lesson,
    figures_shown,
    printed_text,
)

LESSON = "lesson07_char_lm"
lesson = definitions(LESSON)
VOCAB = list("\n !',.:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def run(argv):
    return main(LESSON, argv)


def small_model(seed=0, cell="gru", units=16):
    keras.utils.set_random_seed(seed)
    spec = lesson.ModelSpec(len(VOCAB), cell=cell, units=units, layers=2, embed_dim=8)
    return lesson.build_model(spec), spec


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson07"))


@pytest.fixture(scope="module")
def quick_run(notebook_run):
    return notebook_run[1]


def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    metrics = read_metrics(run_dir)
    assert_every_code_cell_shows_something(notebook)
    assert figures_shown(notebook) == 2 + min(3, len(metrics["neurons"])), "loss curves, unit search, unit plots"
    text = printed_text(notebook)
    assert f"Validation loss (state carried): {metrics['val_loss_nats']:.4f} nats/char" in text
    assert "Vocabulary: 65 characters" in text and "One stateless batch: inputs (32, 64), targets (32, 64)" in text
    assert "(continues batch 1's row)" in text
    assert f"| validation, fresh windows of 256 (nanoGPT's protocol) | {metrics['val_loss_fresh_256']:.3f} |" in text
    assert f"Fresh windows of 256: {metrics['val_loss_fresh_256']:.4f} nats/char." in text
    assert "Total params" in text, "model.summary() is shown"
    assert "The untrained model, primed with" in text
    assert "--- epoch 1:" in text and "--- epoch 2:" in text, "a sample after every epoch"
    assert "Temperature 0:" in text and "Temperature 1:" in text and "| text feature | best unit |" in text
    # the sampling cell on its toy scores: greedy is one-hot, top-k 2 keeps two characters
    assert "temperature 0   top-k -: p(e, t, a, z) = [1.0, 0.0, 0.0, 0.0]" in text
    assert "temperature 1   top-k 2: p(e, t, a, z) = [0.731, 0.269, 0.0, 0.0]" in text
    assert "Adam's step at the start, middle and end of training: ['3.0e-03', '1.6e-03', '3.0e-04']" in text
    # Untrained, the model is as unsure as a uniform guess; trained, it is far better.
    untrained = float(re.search(r"\| the untrained model, on the batch above \| ([\d.]+) \|", text).group(1))
    assert untrained == pytest.approx(np.log(65), abs=0.05)
    assert metrics["val_loss_nats"] < untrained - 1.0


def test_quick_run_writes_every_output(quick_run):
    metrics = read_metrics(quick_run)
    assert metrics["quick"] is True and metrics["units"] == 96 and metrics["stateful"] is False
    # A 2-epoch seeded run on 108k characters must be far better than guessing among 65 characters.
    assert metrics["val_loss_nats"] < 0.7 * np.log(65)
    assert metrics["val_bpc"] == pytest.approx(metrics["val_loss_nats"] / np.log(2))
    assert metrics["val_perplexity"] == pytest.approx(np.exp(metrics["val_loss_nats"]))
    assert metrics["val_loss_windows_nats"] < 0.7 * np.log(65)
    # nanoGPT's protocol: fresh state, windows of 256; on a 2-epoch model close to the 64-character windows
    assert np.isfinite(metrics["val_loss_fresh_256"]) and metrics["val_loss_fresh_256"] < 0.7 * np.log(65)
    assert metrics["val_loss_fresh_256"] == pytest.approx(metrics["val_loss_windows_nats"], abs=0.1)
    assert metrics["source"] == "course" and metrics["workers"] == 1 and metrics["strategy"] is None
    assert metrics["epochs"] == metrics["epochs_run"] == 2 and metrics["chars_per_second"] > 0
    assert metrics["train_chars"] == 108_000 and metrics["val_chars"] == 12_000 and metrics["vocab_size"] == 65
    assert len(metrics["samples"]["0.5"]) == 120
    assert metrics["samples"]["0"] != metrics["samples"]["1"]
    neurons = metrics["neurons"]
    assert neurons and abs(neurons[0]["r"]) > 2 * neurons[0]["chance_abs_r"]
    for png in ("loss_curves.png", "neuron_search.png", "neuron_1.png"):
        assert_png(quick_run / png)
    scalars = tensorboard_scalars(quick_run / "logs")
    assert sorted(scalars["validation/epoch_loss"]) == [0, 1]
    assert sorted(scalars["validation/epoch_bpc"]) == [0, 1]
    assert "lesson/final/val_perplexity" in scalars
    assert sorted(scalars["lesson/samples"]) == [0, 1]  # a text sample in TensorBoard after every epoch
    assert json.loads((quick_run / lesson.CHAR_FILE).read_text())["vocab"][0] == "\n"


def test_metrics_record_the_whole_configuration(quick_run):
    record = json.loads((quick_run / "metrics.json").read_text())
    fields = lesson.Config.__dataclass_fields__
    assert set(fields) <= set(record), f"missing: {set(fields) - set(record)}"


def test_predict_continues_each_prime_reproducibly(quick_run, capsys):
    argv = ["predict", "--model", str(quick_run / "model.keras"), "--length", "30", "--seed", "3", "ROMEO:", "To be"]
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("ROMEO:") and "\nTo be" in out
    assert run(argv) == 0
    assert capsys.readouterr().out == out  # same seed, same text
    assert run(argv[:-4] + ["--seed", "4", "ROMEO:"]) == 0
    other = capsys.readouterr().out
    assert other.startswith("ROMEO:") and other != out[: len(other)], "another seed, another text"


def test_compare_runs_both_variants(real_data, tmp_path, capsys):
    from course_utils import data

    text = tmp_path / "shakespeare_30k.txt"
    text.write_text(data.read_text("tinyshakespeare")[:30_000])
    folder = tmp_path / "cmp"
    argv = ["compare", "--quick", "--epochs", "1", "--units", "32", "--neuron-chars", "500", "--sample-length", "20"]
    if keras.backend.backend() in layers.STATEFUL_TRAINING_FAILS:  # a stateful GRU: one line, before any training
        assert_one_line_error(run, argv + ["--text", str(text), "--run-dir", str(folder)], capsys, "compare (it")
        assert not folder.exists()
        return
    assert run(argv + ["--text", str(text), "--run-dir", str(folder)]) == 0
    metrics = read_metrics(folder)
    children = {name: read_metrics(folder / name) for name in ("stateless", "stateful")}
    assert children["stateless"]["stateful"] is False and children["stateful"]["stateful"] is True
    assert children["stateless"]["seed"] == children["stateful"]["seed"]
    assert abs(children["stateless"]["steps_per_epoch"] - children["stateful"]["steps_per_epoch"]) <= 1
    for name, child in children.items():
        assert metrics[f"{name}_val_loss_nats"] == child["val_loss_nats"] < np.log(child["vocab_size"])
        assert metrics[f"{name}_val_loss_windows_nats"] == child["val_loss_windows_nats"]
    assert_png(folder / "stateless_vs_stateful.png")
    assert "| stateful |" in (folder / "compare.md").read_text()


def test_every_code_cell_is_short():
    lengths = code_cell_lengths(f"lessons/{LESSON}.py")
    assert max(lengths) <= 40, lengths


def test_compare_gives_each_variant_its_own_stateful_flag():
    from course_utils.commands import lesson07_char_lm as commands07

    argv = ["--stateful", "--seed", "3", "--stat", "--quick", "--sample-length", "20"]
    assert [a for a in argv if not commands07.is_stateful_flag(a)] == [
        "--seed",
        "3",
        "--quick",
        "--sample-length",
        "20",
    ]


def test_sampling_helpers():
    logits = np.array([1.0, 3.0, 2.0, -1.0])
    np.testing.assert_allclose(lesson.probabilities(logits, 0), [0, 1, 0, 0])
    probs = lesson.probabilities(logits, 1.0, top_k=2)
    assert probs[0] == 0 and probs[3] == 0 and probs[1] > probs[2] > 0
    np.testing.assert_allclose(probs.sum(), 1.0)
    hot, cold = lesson.probabilities(logits, 2.0), lesson.probabilities(logits, 0.5)
    assert cold.max() > hot.max()  # low temperature sharpens
    np.testing.assert_allclose(lesson.probabilities(logits, 2.0), np.exp(logits / 2) / np.exp(logits / 2).sum())
    assert lesson.sample(logits, np.random.default_rng(0), temperature=0) == 1
    draws = [lesson.sample(logits, np.random.default_rng(i), 1.0, top_k=2) for i in range(200)]
    assert set(draws) == {1, 2}, "top-k 2 draws only the two likeliest"
    with pytest.raises(CourseError):
        lesson.probabilities(logits, -1.0)
    with pytest.raises(CourseError, match="top-k must be 1 or more"):
        lesson.sample(logits, np.random.default_rng(0), 1.0, top_k=0)


def test_next_char_table_sharpens_with_low_temperature():
    table = lesson.next_char_table(np.array([1.0, 3.0, 2.0]), ["a", "b", "c"], temperatures=(0.5, 2.0), top=2)
    rows = table.splitlines()
    assert rows[2].startswith("| 'b' |") and rows[3].startswith("| 'c' |")
    cold, hot = (float(p) for p in rows[2].strip("| ").split(" | ")[1:])
    assert cold > hot


def test_sampling_with_a_fixed_seed_is_reproducible():
    model, spec = small_model()
    generator = lesson.Generator(lesson.stepper(model, spec, batch_size=1), VOCAB)
    first = generator.generate("ROMEO:", 60, temperature=1.0, seed=7)
    again = generator.generate("ROMEO:", 60, temperature=1.0, seed=7)
    other = generator.generate("ROMEO:", 60, temperature=1.0, seed=8)
    assert first == again and len(first) == 60
    assert first != other


def test_temperature_to_zero_equals_greedy():
    model, spec = small_model(seed=3)
    generator = lesson.Generator(lesson.stepper(model, spec, batch_size=1), VOCAB)
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
    if keras.backend.backend() == "jax":  # what check_stateful_backend stops stateful training for
        pytest.skip(layers.STATEFUL_TRAINING_FAILS["jax"][1])
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


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_the_state_passing_twin_carries_the_state_like_one_long_read(cell):
    """What the generator and the carried-state evaluation rely on, on every Keras backend."""
    rng = np.random.default_rng(2)
    ids = rng.integers(0, len(VOCAB), size=(3, 30)).astype(np.int32)
    stateless, spec = small_model(seed=4, cell=cell)  # two layers: each passes its own states
    stepper = lesson.stepper(stateless, spec, batch_size=3)
    assert len(lesson.zero_states(stepper)) == spec.layers * (2 if cell == "lstm" else 1)
    first, states = lesson.read_on(stepper, ids[:, :12], lesson.zero_states(stepper))
    second, _ = lesson.read_on(stepper, ids[:, 12:], states)
    whole = stateless.predict_on_batch(ids)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, atol=1e-5)
    fresh, _ = lesson.read_on(stepper, ids[:, 12:], lesson.zero_states(stepper))
    assert not np.allclose(fresh, whole[:, 12:], atol=1e-3), "a zero state is not the carried one"
    generator = lesson.Generator(lesson.stepper(stateless, spec, batch_size=1), VOCAB)
    text = "To be, or not"
    np.testing.assert_allclose(generator.read(text[:5]), whole_logits(stateless, text[:5]), atol=1e-5)
    for i in range(5, len(text)):
        np.testing.assert_allclose(
            generator.step(VOCAB.index(text[i])), whole_logits(stateless, text[: i + 1]), atol=1e-5
        )


def whole_logits(model, text):
    return model.predict_on_batch(np.array([[VOCAB.index(c) for c in text]], dtype=np.int32))[0, -1]


def test_stateful_training_stops_in_one_line_where_keras_cannot_carry_the_state(monkeypatch):
    import dataclasses

    config = lesson.Config(stateful=True)
    for backend, cell, stops in [("jax", "rnn", True), ("torch", "gru", True), ("torch", "rnn", False)]:
        monkeypatch.setattr(keras.backend, "backend", lambda backend=backend: backend)
        if not stops:
            layers.check_stateful_backend(dataclasses.replace(config, cell=cell))
            continue
        with pytest.raises(CourseError) as error:
            layers.check_stateful_backend(dataclasses.replace(config, cell=cell))
        message = str(error.value)
        assert f"runs on the tensorflow backend, not {backend}" in message and "\n" not in message
    layers.check_stateful_backend(dataclasses.replace(config, stateful=False))  # stateless: every backend


def test_carried_state_evaluation_equals_reading_the_text_in_one_go():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, len(VOCAB), size=601).astype(np.int32)  # a short text: 600 (input, target) pairs
    stateless, spec = small_model(seed=2)
    carried = lesson.carried_state_loss(lesson.stepper(stateless, spec, batch_size=1), ids, chunk=50)
    whole = lesson.nll_sum(stateless.predict_on_batch(ids[None, :-1]), ids[None, 1:]) / 600
    assert carried == pytest.approx(whole, rel=1e-4)
    assert lesson.eval_streams(600) == 5
    # Fresh-state windows: the same as reading each window of 64 alone (a short text still gives a partial batch).
    windows = lesson.windowed_loss(stateless, ids, seq_len=64)
    x, y = ids[: 9 * 64].reshape(9, 64), ids[1 : 9 * 64 + 1].reshape(9, 64)
    assert windows == pytest.approx(lesson.nll_sum(stateless.predict_on_batch(x), y) / y.size, rel=1e-4)


def test_fresh_windows_of_256_are_nanogpts_loss_computed_directly():
    """Every character of each non-overlapping 256-window, predicted from a zero state: the tiled exact loss."""
    rng = np.random.default_rng(5)
    ids = rng.integers(0, len(VOCAB), size=700).astype(np.int32)  # 699 pairs: two whole windows, 187 left out
    stateless, spec = small_model(seed=6)
    fresh = lesson.windowed_loss(stateless, ids, lesson.NANOGPT_CONTEXT)
    # Directly: each window read alone by the state-passing twin from zeros, Keras' cross-entropy, averaged.
    reader = lesson.stepper(stateless, spec, batch_size=1)
    losses = []
    for start in (0, 256):
        logits, _ = lesson.read_on(reader, ids[None, start : start + 256], lesson.zero_states(reader))
        targets = ids[None, start + 1 : start + 257]
        losses.append(keras.ops.convert_to_numpy(keras.losses.sparse_categorical_crossentropy(targets, logits, True)))
    assert np.isfinite(fresh)
    assert fresh == pytest.approx(float(np.mean(losses)), rel=1e-4)


def test_published_table_states_each_protocol():
    config = lesson.Config()
    table = lesson.published_table(config, 1.51, 1.55, 1.53)
    assert "| this run: 1 x GRU(256), stateless | 1.5300 | fresh windows of 256, last 10% held out" in table
    assert "| 1.4697 | fresh windows of 256, last 10% held out, 200 random batches |" in table
    assert "| 1.8800 |" in table and "lm_lstm_epoch30.00_1.3950.t7" in table and "last 5% of its minibatch" in table


def test_source_tfds_reads_the_identical_text(real_data):
    course = lesson.load_corpus(None, quick=True, source="course")
    through_tfds = lesson.load_corpus(None, quick=True, source="tfds")
    assert through_tfds.text == course.text and through_tfds.vocab == course.vocab
    assert np.array_equal(through_tfds.val_ids, course.val_ids)


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


@pytest.fixture
def bad_inputs(tmp_path, quick_run):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)) * 100)
    (tmp_path / "tiny.txt").write_text("To be or not to be.\n" * 10)
    (tmp_path / "latin1.txt").write_bytes(("caf\xe9 " * 3000).encode("latin-1"))
    bare = tmp_path / "bare"  # a lesson07 model without the char_lm.json beside it
    bare.mkdir()
    (bare / "lesson.txt").write_text(LESSON + "\n")
    (bare / "model.keras").write_bytes((quick_run / "model.keras").read_bytes())
    return tmp_path


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--text", "{dir}/empty.txt"], "is empty"),
        (["--text", "{dir}/binary.bin"], "looks binary"),
        (["--text", "{dir}/tiny.txt"], "has only 200 characters"),
        (["--text", "{dir}/latin1.txt"], "not UTF-8"),
        (["--text", "{dir}/missing.txt"], "does not exist"),
        (["--prime", "héllo"], "never saw"),
        (["--temperature", "-1"], "expected 0 or more"),
        (["--epochs", "0"], "expected a number above 0"),
        (["--stateful", "--workers", "2"], "--stateful trains on one worker"),
        (["--source", "tfds", "--text", "{dir}/tiny.txt"], "--source tfds reads tiny Shakespeare"),
        (["--source", "hf"], "invalid choice"),
        (["compare", "--units", "0"], "expected a number above 0"),
        (["predict", "--model", "nope.keras", "ROMEO:"], "does not exist"),
        (["predict", "--model", "{quick}", "--temperature", "0", "héllo"], "never saw"),
        (["predict", "--model", "{quick}"], "give one or more priming strings"),
        (["predict", "--model", "{quick}", "--seed", "4294967296", "A"], "below 2**32"),
        (["predict", "--model", "{dir}/bare/model.keras", "ROMEO:"], "char_lm.json is missing"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, bad_inputs, quick_run, capsys):
    argv = [a.replace("{dir}", str(bad_inputs)).replace("{quick}", str(quick_run / "model.keras")) for a in argv]
    assert_one_line_error(run, argv, capsys, message)
