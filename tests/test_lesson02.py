"""Lesson 02: the NumPy LSTM/GRU equal Keras', the gradient measurement is right; the lesson runs as a
notebook (quick), shows each step and writes every output; the script path, predict (course_utils/commands)
and one-line errors."""

import json

import keras
import numpy as np
import pytest

from course_utils import REPO_ROOT, commands
from course_utils.lesson import definitions, parse_config
from tests.helpers import lesson_main as main
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars
from tests.notebook import (
    assert_every_code_cell_shows_something,
    code_cell_lengths,
    execute_lesson,
    figures_shown,
    printed_text,
)

LESSON = "lesson02_gates"
lesson = definitions(LESSON)
predict_command = commands.module(LESSON)
CELLS = ("rnn", "lstm", "gru")
# The lesson itself and its gradient measurement need TensorFlow; the NumPy-equals-Keras tests run on every backend
needs_tensorflow = pytest.mark.skipif(
    keras.backend.backend() not in lesson.Config.BACKENDS, reason=f"lesson 02 {lesson.Config.BACKEND_REASON}"
)


def run(argv):
    return main(LESSON, argv)


@pytest.fixture(scope="module")
def notebook_run(tmp_path_factory):
    if keras.backend.backend() not in lesson.Config.BACKENDS:
        pytest.skip(f"lesson 02 {lesson.Config.BACKEND_REASON}")
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson02"))


@pytest.fixture(scope="module")
def quick_run(notebook_run):
    return notebook_run[1]


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


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_gate_near_one_keeps_the_state_and_one_half_open_halves_it(cell):
    # Section 2's and 3's one-unit cells: every weight zero, so each gate is its bias.
    kept = {}
    for bias in (0.0, 10.0):
        if cell == "lstm":
            model = lesson.LSTM(*lesson.biases_only("ifgo", i=-10.0, f=bias))
            model.c = np.ones(1)
        else:
            model = lesson.GRU(*lesson.biases_only("zrn", z=bias), reset_after=False)
            model.h = np.ones(1)
        for _ in range(50):
            model.step(np.zeros(1))
        kept[bias] = (model.c if cell == "lstm" else model.h)[0]
    np.testing.assert_allclose(kept[0.0], 0.5**50, rtol=1e-6)
    assert 0.99 < kept[10.0] < 1


def test_parse_sequence_reads_values_and_markers():
    x = predict_command.parse_sequence("0.3:1, 0.5,0.9:1")
    np.testing.assert_array_equal(x, np.array([[0.3, 1], [0.5, 0], [0.9, 1]], dtype="float32"))


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
        columns = [
            (last_h(t, states[t] + e) - last_h(t, states[t] - e)) / (2 * eps) for e in np.eye(len(states[t])) * eps
        ]
        norms.append(np.linalg.norm(np.stack(columns, axis=1)))
    return np.array(norms)


@needs_tensorflow
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


@needs_tensorflow
def test_quick_values_yield_to_explicit_flags(monkeypatch):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    config = parse_config(lesson.Config, "prog", ["--quick", "--epochs", "2"])
    assert (config.epochs, config.length, config.train_size, config.grad_length, config.clip_steps) == (
        2,
        20,
        3000,
        30,
        60,
    )
    assert config.clip_length == 100 and config.units == 32
    assert parse_config(lesson.Config, "prog", []).epochs == 12


def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    assert_every_code_cell_shows_something(notebook)
    assert figures_shown(notebook) >= 5, "gradients at init, memory task, gradients after training, gates, clipping"
    text = printed_text(notebook)
    metrics = read_metrics(run_dir)
    assert "toy batch (4, 30, 8) -> Keras LSTM (4, 30, 16), NumPy LSTM (4, 30, 16)" in text
    assert "reset_after=False: toy batch (4, 30, 8) -> Keras GRU (4, 30, 16)" in text
    assert f"| lstm | {metrics['numpy_vs_keras_max_abs_diff']['lstm']:.1e} | ifog |" in text
    assert "One validation sequence, as value:marker" in text
    assert "Total params" in text, "model.summary() is shown"
    assert "Untrained LSTM's answers" in text
    assert text.count(f"Epoch {metrics['epochs']}/{metrics['epochs']}") == 3, "each cell's training, epoch by epoch"
    results = metrics["memory_task"]["results"]
    for cell in CELLS:
        r = results[cell]
        assert (
            f"{cell.upper()} after training: validation MSE {r['val_mse']:.4f}, accuracy {r['val_accuracy']:.3f}"
            in text
        )
        assert f"| {cell.upper()} | {r['parameters']:,} | {r['val_mse']:.4f} |" in text, "the results table"
    assert f"loss became NaN/inf at step {metrics['clipping']['unclipped_first_bad_step']}" in text
    assert "| stacked | gru_2 | (1, 32) |" in text
    assert "3 steps, marked values 0.30, 0.90: the model answers" in text and "the true sum is 1.200" in text
    assert "the cell after 50 steps 0.998" in text, "a forget gate near 1 keeps the cell"


def test_no_code_cell_is_longer_than_40_lines():
    assert max(code_cell_lengths(REPO_ROOT / "lessons" / f"{LESSON}.py")) <= 40


def test_quick_run_writes_every_output(quick_run):
    metrics = read_metrics(quick_run)
    assert max(metrics["numpy_vs_keras_max_abs_diff"].values()) < 1e-5
    assert metrics["wrong_gate_order_max_abs_diff"] > 1e-2

    task = metrics["memory_task"]
    results, baseline = task["results"], task["baseline"]
    assert set(results) == set(CELLS)
    assert task["length"] == 20 and task["train_size"] == 3000 and task["val_size"] == 600
    assert abs(baseline["val_mse"] - 1 / 6) < 0.02, "always answering the mean scores about 1/6"
    # Loose floor for the seeded quick run: the GRU is well below the always-the-mean baseline.
    assert results["gru"]["val_mse"] < baseline["val_mse"] / 10
    assert metrics["best_model"] == min(("lstm", "gru"), key=lambda c: results[c]["val_mse"])

    init, trained = metrics["gradient_norm_at_init"], metrics["gradient_norm_trained"]
    for norms in (init, trained):
        for cell in CELLS:
            assert set(norms[cell]) == {"1", "10", "25"} and np.isfinite(list(norms[cell].values())).all()
    # Measured, not asserted, except for what the lesson's prose says: a fresh SimpleRNN's gradient decays,
    # a fresh GRU (update gate half open) forgets fastest, and the GRU that learned the task learned to remember.
    assert init["rnn"]["25"] < init["rnn"]["1"] / 5
    assert init["gru"]["25"] < init["rnn"]["25"] / 100
    assert trained["gru"]["25"] > 100 * init["gru"]["25"]

    clipping = metrics["clipping"]
    assert clipping["unclipped_diverged"] and clipping["unclipped_first_bad_step"] is not None
    assert not clipping["clipped_diverged"]
    assert clipping["clipped_final_loss"] < clipping["start_loss"] / 5

    formula = {"gru_1": lesson.gru_parameters(2, 32), "gru_2": lesson.gru_parameters(32, 32)}
    formula["bi_gru"] = 2 * formula["gru_1"]
    layers = [layer for model in metrics["stacked_bidirectional"].values() for layer in model]
    assert {layer["layer"]: layer["parameters"] for layer in layers} == formula, "Keras' counts match the formula"
    shapes = {layer["layer"]: layer["output_shape"] for layer in layers}
    assert shapes == {"gru_1": [1, 20, 32], "gru_2": [1, 32], "bi_gru": [1, 20, 64]}

    for png in (
        "gradient_at_init.png",
        "memory_task.png",
        "gradient_vs_distance.png",
        "lstm_gates.png",
        "clipping.png",
    ):
        assert_png(quick_run / png)
    scalars = tensorboard_scalars(quick_run / "logs")
    for cell in CELLS:
        assert sorted(scalars[f"{cell}/train/epoch_loss"]) == list(range(metrics["epochs"]))
        assert sorted(scalars[f"{cell}/validation/epoch_loss"]) == list(range(metrics["epochs"]))
        assert len(scalars[f"lesson/gradient_norm_at_init/{cell}"]) == metrics["gradient_sequence_length"]
        assert len(scalars[f"lesson/gradient_norm_trained/{cell}"]) == metrics["gradient_sequence_length"]
        assert isinstance(keras.models.load_model(quick_run / f"model_{cell}.keras"), keras.Model)
    assert not (quick_run / "backup").exists(), "a finished run leaves no resume backup"


def test_metrics_record_the_whole_configuration(quick_run):
    record = json.loads((quick_run / "metrics.json").read_text())
    fields = lesson.Config.__dataclass_fields__
    assert set(fields) <= set(record), f"missing: {set(fields) - set(record)}"
    assert record["quick"] is True and record["epochs"] == 4 and record["grad_length"] == 30
    assert record["clip_steps"] == 60 and record["learning_rate"] == 1e-2
    for key in ("rnn_val_accuracy", "lstm_val_accuracy", "gru_val_accuracy", "baseline_val_accuracy", "wall_time_s"):
        assert isinstance(record[key], float), f"bench/benchmarks.py reports {key}"


def test_predict_answers_like_the_trained_model(quick_run, capsys):
    model = str(quick_run / "model.keras")
    assert run(["predict", "--model", model, "0.3:1,0.5:0,0.9:1", "0.1:1,0.2:1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("0.3:1,0.5:0,0.9:1 -> ") and "true sum of the marked values: 1.200" in lines[0]
    assert np.isfinite(float(lines[0].split("->")[1].split()[0]))

    # On sequences like the training ones (length 20), the answers are far closer than always answering 1.0.
    x, y = lesson.adding_problem(8, 20, np.random.default_rng(5))
    texts = [",".join(f"{v:.3f}:{m:.0f}" for v, m in seq) for seq in x]
    assert run(["predict", "--model", model, *texts]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    answers = np.array([float(line.split("->")[1].split()[0]) for line in lines])
    truths = np.array([float(line.split("marked values: ")[1].split(",")[0]) for line in lines])
    np.testing.assert_allclose(truths, y, atol=2e-3)
    assert np.mean(np.abs(answers - truths)) < np.mean(np.abs(truths - 1.0)) / 2


def test_the_lesson_stops_at_once_on_another_backend(monkeypatch, capsys, private_runs):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert_one_line_error(run, ["--quick"], capsys, "runs on the tensorflow backend, not jax: it measures gradients")
    assert not private_runs.exists(), "nothing is written"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "expected a number above 0"),
        (["--length", "2", "--quick"], "too short"),
        (["--seed", "4294967296"], "below 2**32"),
        (["predict", "0.3:1,0.5:0,0.9:0"], "mark exactly two steps"),
        (["predict", "0.3:1,abc:1"], "is not value:marker"),
        (["predict", "1.5:1,0.2:1"], "must be in [0, 1]"),
        (["predict"], "give one or more sequences"),
        (["predict", "--model", "nope.keras", "0.3:1,0.9:1"], "does not exist"),
        (["predict", "0.3:1,0.9:1"], "no trained model found"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, capsys, tmp_path):
    if argv[0] != "predict" and keras.backend.backend() not in lesson.Config.BACKENDS:
        pytest.skip("on this backend the lesson stops first, for the backend (the test above)")
    if "--quick" in argv:
        argv = [*argv, "--run-dir", str(tmp_path / "run")]
    assert_one_line_error(run, argv, capsys, message)
    assert not (tmp_path / "run").exists(), "a bad flag value stops the lesson before it writes anything"
