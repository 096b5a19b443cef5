"""Lesson 01: the NumPy RNN equals Keras' SimpleRNN, BPTT is right, and the quick run works."""

import keras
import numpy as np
import pytest

from lessons import lesson01_rnn_from_scratch as lesson
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars


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
    assert lesson.gradient_check(seed=1) < 1e-6


def test_hello_is_learned():
    result = lesson.train_hello(seed=0)
    assert result["predicted"] == "ello"
    assert result["losses"][-1] < result["losses"][0] / 5


def test_quick_run_end_to_end(real_data, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert lesson.run(["--quick", "--run-dir", str(run_dir)]) == 0
    metrics = read_metrics(run_dir)
    assert metrics["numpy_vs_keras_max_abs_diff"] < 1e-5
    assert metrics["hello_prediction"] == "ello"
    # Both models beat the counting bigram baseline on held-out names.
    assert metrics["numpy_dev_loss"] < metrics["bigram_dev_loss"]
    assert metrics["keras_dev_loss"] < metrics["bigram_dev_loss"]
    for png in ("hello_confidences.png", "loss_curves.png"):
        assert_png(run_dir / png)
    scalars = tensorboard_scalars(run_dir / "logs")
    assert sorted(scalars["train/epoch_loss"]) == list(range(metrics["epochs"]))
    assert sorted(scalars["validation/epoch_loss"]) == list(range(metrics["epochs"]))
    assert len(scalars["lesson/numpy_rnn/val_loss"]) == metrics["epochs"]
    assert isinstance(keras.models.load_model(run_dir / "model.keras"), keras.Model)

    capsys.readouterr()
    assert lesson.run(["predict", "--model", str(run_dir / "model.keras"), "em"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("em -> em")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "expected a number above 0"),
        (["--bogus"], "unrecognized arguments"),
        (["predict", "--model", "nope.keras", "em"], "does not exist"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, capsys):
    assert_one_line_error(lesson.run, argv, capsys, message)
