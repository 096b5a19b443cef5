"""Lesson 02: the NumPy LSTM/GRU equal Keras', the gradient measurement is right, and the quick run works."""

import keras
import numpy as np
import pytest

from lessons import lesson02_gates as lesson
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numpy_lstm_matches_keras_lstm(seed):
    assert lesson.compare_with_keras("lstm", seed=seed) < 1e-5


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("seed", [0, 1])
def test_numpy_gru_matches_keras_gru_both_variants(reset_after, seed):
    assert lesson.compare_with_keras("gru", reset_after=reset_after, seed=seed) < 1e-5


@pytest.mark.parametrize("cell, order", [("lstm", "ifog"), ("lstm", "figo"), ("gru", "rzn"), ("gru", "znr")])
def test_wrong_gate_order_does_not_match(cell, order):
    # The same check with the blocks read in another order must fail, so the equality above is real.
    assert lesson.compare_with_keras(cell, order=order) > 1e-2


def test_gru_variant_matters():
    # Keras' reset_after=True weights read with the reset-before equations give different outputs.
    rng = np.random.default_rng(0)
    layer = lesson.random_keras_layer("gru", 6, 3, rng, reset_after=True)
    xs = rng.normal(size=(10, 3)).astype("float32")
    kernel, recurrent, bias = layer.get_weights()
    right = lesson.gru_from_keras([kernel, recurrent, bias], reset_after=True).forward(xs)
    wrong = lesson.gru_from_keras([kernel, recurrent, bias[0]], reset_after=False).forward(xs)
    assert np.max(np.abs(right - wrong)) > 1e-2


def numpy_cell(cell, weights):
    return lesson.lstm_from_keras(weights) if cell == "lstm" else lesson.gru_from_keras(weights)


def finite_difference_norms(cell, weights, xs, eps=1e-6):
    """||d h_T / d s_t||_F by central differences on the NumPy cells (float64), t = T-1 ... 0."""
    model = numpy_cell(cell, weights)
    units = weights[1].shape[0]
    states = []
    for x in xs:
        states.append(np.concatenate([model.h, model.c]) if cell == "lstm" else model.h.copy())
        model.step(x)

    def last_h(t, state):
        model.h = state[:units].copy()
        if cell == "lstm":
            model.c = state[units:].copy()
        for x in xs[t:]:
            model.step(x)
        return model.h

    norms = []
    for t in reversed(range(len(xs))):
        columns = [(last_h(t, states[t] + e) - last_h(t, states[t] - e)) / (2 * eps)
                   for e in np.eye(len(states[t])) * eps]
        norms.append(np.linalg.norm(np.stack(columns, axis=1)))
    return np.array(norms)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gradient_norms_match_finite_differences(cell):
    xs = lesson.adding_problem(1, 12, np.random.default_rng(0))[0]
    layer = lesson.fresh_layers(6, 2, seed=0)[cell]
    measured = lesson.state_gradient_norms(layer, xs)
    weights = [w.astype("float64") for w in layer.get_weights()]
    expected = finite_difference_norms(cell, weights, xs[0].astype("float64"))
    np.testing.assert_allclose(measured, expected, rtol=1e-4)


def test_adding_problem_targets():
    x, y = lesson.adding_problem(200, 10, np.random.default_rng(0))
    assert x.shape == (200, 10, 2) and y.shape == (200,)
    markers = x[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :5].sum(axis=1) == 1)  # one marked step in each half
    np.testing.assert_allclose(y, (x[..., 0] * markers).sum(axis=1), rtol=1e-6)


def test_quick_run_end_to_end(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert lesson.run(["--quick", "--run-dir", str(run_dir)]) == 0
    metrics = read_metrics(run_dir)
    assert max(metrics["numpy_vs_keras_max_abs_diff"].values()) < 1e-5
    assert metrics["wrong_gate_order_max_abs_diff"] > 1e-2

    task = metrics["memory_task"]
    results, baseline = task["results"], task["baseline"]
    assert set(results) == {"rnn", "lstm", "gru"}
    # Loose floor for the seeded quick run: the GRU is well below the always-the-mean baseline.
    assert results["gru"]["val_mse"] < baseline["val_mse"] / 10

    for key in ("gradient_norm_at_init", "gradient_norm_trained"):
        for cell in ("rnn", "lstm", "gru"):
            norms = metrics[key][cell]
            assert norms["1"] > 0 and np.isfinite(list(norms.values())).all()
    # Measured, not asserted, except for the textbook fact that a fresh SimpleRNN's gradient decays.
    assert metrics["gradient_norm_at_init"]["rnn"]["25"] < metrics["gradient_norm_at_init"]["rnn"]["1"] / 5

    clipping = metrics["clipping"]
    assert clipping["unclipped_diverged"] and clipping["unclipped_first_bad_step"] is not None
    assert not clipping["clipped_diverged"]
    assert clipping["clipped_final_loss"] < clipping["start_loss"]

    for layers in metrics["stacked_bidirectional"].values():
        for layer in layers:
            assert layer["parameters"] > 0
    shapes = {layer["layer"]: layer["output_shape"] for layers in metrics["stacked_bidirectional"].values()
              for layer in layers}
    assert shapes["gru_2"] == [1, 32] and shapes["bi_gru"][-1] == 64

    for png in ("memory_task.png", "gradient_vs_distance.png", "lstm_gates.png", "clipping.png"):
        assert_png(run_dir / png)
    scalars = tensorboard_scalars(run_dir / "logs")
    for cell in ("rnn", "lstm", "gru"):
        assert sorted(scalars[f"{cell}/train/epoch_loss"]) == list(range(metrics["epochs"]))
        assert sorted(scalars[f"{cell}/validation/epoch_loss"]) == list(range(metrics["epochs"]))
        assert len(scalars[f"lesson/gradient_norm_at_init/{cell}"]) == metrics["gradient_sequence_length"]
    assert isinstance(keras.models.load_model(run_dir / "model.keras"), keras.Model)

    capsys.readouterr()
    assert lesson.run(["predict", "--model", str(run_dir / "model.keras"), "0.3:1,0.5:0,0.9:1", "0.1:1,0.2:1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("0.3:1,0.5:0,0.9:1 -> ") and "true sum of the marked values: 1.200" in lines[0]
    answer = float(lines[0].split("->")[1].split()[0])
    assert np.isfinite(answer)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "expected a number above 0"),
        (["--length", "2", "--quick"], "too short"),
        (["predict", "0.3:1,0.5:0,0.9:0"], "mark exactly two steps"),
        (["predict", "0.3:1,abc:1"], "is not value:marker"),
        (["predict", "1.5:1,0.2:1"], "must be in [0, 1]"),
        (["predict"], "give one or more sequences"),
        (["predict", "--model", "nope.keras", "0.3:1,0.9:1"], "does not exist"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, capsys, tmp_path):
    if "--quick" in argv:
        argv = [*argv, "--run-dir", str(tmp_path / "run")]
    assert_one_line_error(lesson.run, argv, capsys, message)
