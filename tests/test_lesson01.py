"""Lesson 01: the NumPy RNN equals Keras' SimpleRNN, BPTT is right, the lesson runs as a notebook, and predict."""

import json

import keras
import numpy as np
import pytest

from course_utils import REPO_ROOT
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

LESSON = "lesson01_rnn_from_scratch"
lesson = definitions(LESSON)


def run(argv):
    return main(LESSON, argv)


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson01"))


@pytest.fixture(scope="module")
def quick_run(notebook_run):
    return notebook_run[1]


def test_numpy_rnn_matches_keras_simple_rnn():
    for seed in range(3):
        assert lesson.compare_with_keras(seed=seed) < 1e-5


def test_rnn_step_uses_zero_initial_state_and_shared_weights():
    rng = np.random.default_rng(0)
    W_xh, W_hh, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 3)), rng.normal(size=3)
    rnn = lesson.RNN(W_xh, W_hh, b)
    x = np.array([0.5, -1.0])
    first = rnn.step(x)
    np.testing.assert_allclose(first, np.tanh(W_xh @ x + b))  # h_0 = 0
    second = rnn.step(x)
    np.testing.assert_allclose(second, np.tanh(W_hh @ first + W_xh @ x + b))
    np.testing.assert_allclose(rnn.forward([x, x]), np.stack([first, second]))  # forward resets


def test_bptt_gradients_match_finite_differences():
    errors = lesson.gradient_check(seed=1)
    assert set(errors) == {"W_xh", "W_hh", "b_h", "W_hy", "b_y"}
    assert max(errors.values()) < 1e-6


def test_the_gradient_check_catches_a_wrong_gradient(monkeypatch):
    """The check is not vacuous: BPTT with a missing transpose on W_hh's gradient fails it."""
    right = lesson.loss_and_grads

    def transposed(params, inputs, targets, mask):
        loss, grads, probs = right(params, inputs, targets, mask)
        return loss, {**grads, "W_hh": grads["W_hh"].T}, probs

    monkeypatch.setattr(lesson, "loss_and_grads", transposed)
    errors = lesson.gradient_check(seed=1)
    assert errors["W_hh"] > 1e-2
    assert max(errors[name] for name in ("W_xh", "b_h", "W_hy", "b_y")) < 1e-6


def test_hello_is_learned():
    result = lesson.train_hello(seed=0)
    assert result["predicted"] == "ello"
    assert result["losses"][-1] < result["losses"][0] / 5


def test_names_are_encoded_time_major_with_a_mask():
    vocab = [".", "a", "b", "o"]
    inputs, targets, mask = lesson.encode_names(["bob", "a"], vocab)
    assert inputs.shape == targets.shape == mask.shape == (4, 2)
    assert inputs[:, 0].tolist() == [0, 2, 3, 2] and targets[:, 0].tolist() == [2, 3, 2, 0]
    assert inputs[:2, 1].tolist() == [0, 1] and targets[:2, 1].tolist() == [1, 0]
    assert mask.T.tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]


def test_the_bigram_baseline_learns_from_counts():
    vocab = [".", "a", "b"]
    names = ["ab", "ab", "ab", "ab"]
    assert lesson.bigram_loss(names, ["ab"], vocab) < np.log(len(vocab)) / 2
    assert lesson.bigram_loss(names, ["ba"], vocab) > np.log(len(vocab)), "unseen pairs cost more than a guess"


def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    assert_every_code_cell_shows_something(notebook)
    assert figures_shown(notebook) >= 2, "hello confidences and loss curves drawn inline"
    text = printed_text(notebook)
    metrics = read_metrics(run_dir)
    assert "the batch: (4, 5, 2) (batch, time, features) -> states (4, 5, 3)" in text
    assert "moves the weights by [-0.01 -0.01  0.01]" in text, "Adam's first step is about lr for every weight"
    assert f"max |difference| = {metrics['numpy_vs_keras_max_abs_diff']:.2e}" in text
    assert f"max relative error = {metrics['gradient_check_max_rel_error']:.2e}" in text
    assert "| parameter | weights checked | max relative error |" in text
    assert f"Trained:   'hell' -> 'ello' after {metrics['hello_iterations']} iterations" in text
    assert "Names: 2,700 train, 300 dev; 27 characters" in text
    assert "Untrained NumPy RNN: dev loss" in text and "Its samples" in text
    assert "One training batch: one-hot characters (64, " in text and "Total params" in text
    assert f"| Keras SimpleRNN, 64 units | {metrics['keras_dev_loss']:.3f} |" in text
    assert f"| NumPy RNN, 64 units | {metrics['numpy_dev_loss']:.3f} |" in text
    assert "em -> em" in text


def test_no_code_cell_is_longer_than_40_lines():
    assert max(code_cell_lengths(REPO_ROOT / "lessons" / f"{LESSON}.py")) <= 40


def test_quick_run_writes_every_output(quick_run):
    metrics = read_metrics(quick_run)
    assert metrics["quick"] is True and metrics["epochs"] == 3 and metrics["hidden"] == 64
    assert metrics["train_names"] == 2700 and metrics["dev_names"] == 300
    assert metrics["numpy_vs_keras_max_abs_diff"] < 1e-5
    assert metrics["gradient_check_max_rel_error"] < 1e-6
    assert metrics["hello_prediction"] == "ello"
    # Both models beat the counting bigram baseline on held-out names, and land close together.
    assert metrics["numpy_dev_loss"] < metrics["bigram_dev_loss"]
    assert metrics["keras_dev_loss"] < metrics["bigram_dev_loss"]
    assert abs(metrics["numpy_dev_loss"] - metrics["keras_dev_loss"]) < 0.15
    assert len(metrics["numpy_samples"]) == 10 and len(metrics["keras_greedy_names"]) == 10
    for png in ("hello_confidences.png", "loss_curves.png"):
        assert_png(quick_run / png)
    assert (quick_run / "vocab.txt").read_text() == ".abcdefghijklmnopqrstuvwxyz\n"
    scalars = tensorboard_scalars(quick_run / "logs")
    assert sorted(scalars["train/epoch_loss"]) == list(range(metrics["epochs"]))
    assert sorted(scalars["validation/epoch_loss"]) == list(range(metrics["epochs"]))
    assert len(scalars["lesson/numpy_rnn/val_loss"]) == metrics["epochs"]
    assert isinstance(keras.models.load_model(quick_run / "model.keras"), keras.Model)
    assert not (quick_run / "backup").exists(), "a finished run removes its resume backup"


def test_metrics_record_the_whole_configuration(quick_run):
    record = json.loads((quick_run / "metrics.json").read_text())
    fields = lesson.Config.__dataclass_fields__
    assert set(fields) <= set(record), f"missing: {set(fields) - set(record)}"


def test_predict_completes_a_name(quick_run, capsys):
    assert run(["predict", "--model", str(quick_run / "model.keras"), "em", "Jo"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("em -> em") and lines[1].startswith("Jo -> jo")
    probabilities = [float(part.split()[-1]) for part in lines[0].split("next character: ")[1].split(", ")]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1.0


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "expected a number above 0"),
        (["--hidden", "x"], "expected a whole number"),
        (["--bogus"], "unrecognized arguments"),
        (["predict", "--model", "nope.keras", "em"], "does not exist"),
        (["predict", "--model", "MODEL"], "give one or more name beginnings"),
        (["predict", "--model", "MODEL", "e3"], "characters the model never saw: '3'"),
        (["predict", "--model", "NOVOCAB", "em"], "vocab.txt is missing"),
    ],
)
def test_bad_input_gives_one_line_error(quick_run, tmp_path, argv, message, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "lesson.txt").write_text(LESSON + "\n")
    (bare / "model.keras").write_bytes((quick_run / "model.keras").read_bytes())
    argv = [
        str(quick_run / "model.keras") if a == "MODEL" else str(bare / "model.keras") if a == "NOVOCAB" else a
        for a in argv
    ]
    assert_one_line_error(run, argv, capsys, message)
