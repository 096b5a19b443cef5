"""Lesson 09: the lesson runs as a notebook (quick) and trains the three models; the minGRU's loop, parallel scan and
log-space form agree (with a zero and a non-zero initial state, on TensorFlow and, from test_backends, on JAX); its
state-passing twin equals the model; the Transformer is causal and its padded generator reads what the model reads."""

import contextlib
import math

import keras
import numpy as np
import pytest

from course_utils.lesson import definitions
from course_utils.runs import Run
from lessons.saved.lesson07_char_lm import read_on, zero_states
from tests.helpers import assert_png, read_metrics, tensorboard_scalars
from tests.helpers import lesson_main as main
from tests.notebook import assert_every_code_cell_shows_something, code_cell_lengths, execute_lesson, figures_shown

LESSON = "lesson09_recurrence"
lesson = definitions(LESSON)
KEYS = (
    "val_loss_fresh_256",
    "params",
    "train_chars_per_second",
    "generate_ms_per_char_256",
    "generate_ms_per_char_2048",
)


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson09"))


def test_the_notebook_trains_and_measures_the_three_models(notebook_run):
    notebook, run_dir = notebook_run
    assert_every_code_cell_shows_something(notebook)
    assert max(code_cell_lengths(f"lessons/{LESSON}.py")) <= 40
    assert figures_shown(notebook) == 3, "step cost, validation curves, generation cost"
    metrics = read_metrics(run_dir)
    assert metrics["quick"] is True and metrics["models"] == "gru,transformer,mingru"
    for name in lesson.MODELS:
        for key in KEYS:
            value = metrics[f"{name}_{key}"]
            assert np.isfinite(value) and value > 0, (name, key)
        # one epoch on the quick slice already beats a uniform guess among the 65 characters
        assert metrics[f"{name}_val_loss_fresh_256"] < math.log(65) - 0.5, name
        assert metrics[f"{name}_train_steps"] == 20, "--quick: 20 steps, in 10 rounds of 2"
        assert sorted(tensorboard_scalars(run_dir / "logs" / name)["validation/epoch_loss"]) == list(range(10))
        assert (run_dir / f"{name}.keras").is_file()
        assert len(metrics["samples"][name]) == metrics["sample_length"]
    assert "val_loss_fresh_256" not in metrics, "unprefixed keys only when a run trains one model"
    assert metrics["mingru_scan"] == "sequential", "the loop on a CPU"
    backends = {row["backend"] for row in metrics["scan_timing"]}
    assert "tensorflow" in backends and {row["length"] for row in metrics["scan_timing"]} == {64, 256}
    for row in metrics["scan_timing"]:
        assert row["sequential_ms"] > 0 and row["parallel_ms"] > 0
    assert "| tensorflow | CPU | 256 |" in (run_dir / "scan_timing.md").read_text()
    for png in ("step_cost.png", "validation_curves.png", "generation_cost.png"):
        assert_png(run_dir / png)
    assert set(lesson.Config.__dataclass_fields__) <= set(metrics)


def test_predict_continues_a_text_with_each_saved_model(notebook_run, capsys):
    _, run_dir = notebook_run
    for name in lesson.MODELS:
        assert main(LESSON, ["predict", "--model", str(run_dir / f"{name}.keras"), "--length", "40", "ROMEO:"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("ROMEO:") and len(out.strip()) >= len("ROMEO:") + 30, (name, out)
    assert main(LESSON, ["predict", "--model", str(run_dir / "mingru.keras"), "--temperature", "0", "A", "A"]) == 0
    first, second = capsys.readouterr().out.strip().split("\n\n")[:2]
    assert first == second, "greedy decoding is the same for the same prime"
    assert main(LESSON, ["predict", "--model", str(run_dir / "plan.json"), "A"]) != 0


def recurrence(rng, batch, steps, units, dtype):
    x = rng.normal(size=(batch, steps, 3)).astype(dtype)
    weights = [rng.normal(scale=0.7, size=s).astype(dtype) for s in ((3, units), (units,), (3, units), (units,))]
    return lesson.recurrence_inputs(x, *weights)


def float64_allowed():
    """JAX computes in float32 unless 64-bit types are enabled; TensorFlow keeps float64 as it is."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.enable_x64(True)
    return contextlib.nullcontext()


@pytest.mark.parametrize("steps", [1, 2, 7, 300])
def test_step_and_parallel_forms_agree(steps):
    """The loop, the parallel scan and the log-space form give the same states to 1e-5, from zeros and from a
    non-zero initial state (the log-space form in float64: float32 holds it to about 1e-4, as the lesson shows)."""
    with float64_allowed():
        forms_agree(steps)


def forms_agree(steps):
    rng = np.random.default_rng(steps)
    for dtype in ("float32", "float64"):
        a, b, log_a, log_b = recurrence(rng, 3, steps, 5, dtype)
        assert keras.ops.convert_to_numpy(a).dtype == dtype
        for h0 in (np.zeros((3, 5), dtype), rng.uniform(0.1, 3.0, (3, 5)).astype(dtype)):
            loop = keras.ops.convert_to_numpy(lesson.linear_recurrence_loop(a, b, h0))
            expected = np.empty_like(loop)
            h = h0
            for t in range(steps):
                h = keras.ops.convert_to_numpy(a[:, t]) * h + keras.ops.convert_to_numpy(b[:, t])
                expected[:, t] = h
            np.testing.assert_allclose(loop, expected, rtol=1e-5, atol=1e-5)
            parallel = keras.ops.convert_to_numpy(lesson.linear_recurrence_parallel(a, b, h0))
            np.testing.assert_allclose(parallel, loop, rtol=1e-5, atol=1e-5)
            if dtype == "float64":
                log_h0 = np.log(h0) if h0.any() else None
                in_logs = keras.ops.convert_to_numpy(lesson.linear_recurrence_log(log_a, log_b, log_h0))
                np.testing.assert_allclose(in_logs, loop, rtol=1e-5, atol=1e-5)


def test_the_min_gru_layer_is_the_step_run_in_any_of_the_three_forms():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 9, 4)).astype("float32")
    h0 = rng.uniform(0.2, 1.5, (2, 6)).astype("float32")
    layers = {scan: lesson.MinGRU(6, scan) for scan in ("sequential", "parallel", "log")}
    first = layers["sequential"]
    for layer in layers.values():
        layer.build(x.shape)
        layer.set_weights(first.get_weights())
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in first.gates.weights)
    h, expected = h0, []
    for t in range(9):  # the lesson's min_gru_step with the layer's W_z and W_h (the gates' two halves)
        h = lesson.min_gru_step(x[:, t], h, kernel[:, :6], bias[:6], kernel[:, 6:], bias[6:])
        expected.append(keras.ops.convert_to_numpy(h))
    expected = np.stack(expected, axis=1)
    for scan, layer in layers.items():
        out = keras.ops.convert_to_numpy(layer(x, initial_state=h0))
        np.testing.assert_allclose(out, expected, rtol=2e-4, atol=2e-4, err_msg=scan)


def test_g_is_continuous_positive_and_its_log_is_log_g():
    x = np.linspace(-30, 30, 2001).astype("float64")
    values = keras.ops.convert_to_numpy(lesson.g(x))
    assert (values > 0).all() and abs(float(lesson.g(np.float64(0.0))) - 0.5) < 1e-12
    assert abs(float(lesson.g(np.float64(-1e-9))) - 0.5) < 1e-8, "sigmoid(0) = 0.5 meets 0 + 1/2"
    np.testing.assert_allclose(keras.ops.convert_to_numpy(lesson.log_g(x)), np.log(values), rtol=1e-9, atol=1e-12)


def test_the_state_passing_twin_reads_on_where_the_model_left_off():
    keras.utils.set_random_seed(1)
    model = lesson.build_mingru(20, 16, 2, 0.0)
    twin = lesson.mingru_stepper(model, 20, 16, 2)
    ids = np.random.default_rng(2).integers(0, 20, (1, 15)).astype("int32")
    whole = keras.ops.convert_to_numpy(model(ids))
    first, states = read_on(twin, ids[:, :6], zero_states(twin))  # lesson 07's, as the lesson uses them
    rest, _ = read_on(twin, ids[:, 6:], states)
    np.testing.assert_allclose(np.concatenate([first, rest], axis=1), whole, rtol=1e-4, atol=1e-5)


def test_the_transformer_is_causal_and_its_generator_reads_the_padded_window_right():
    keras.utils.set_random_seed(2)
    model = lesson.build_transformer(20, 16, 2, 0.0)
    ids = np.random.default_rng(3).integers(0, 20, (1, 30)).astype("int32")
    changed = ids.copy()
    changed[0, 12:] = (changed[0, 12:] + 7) % 20
    before, after = (keras.ops.convert_to_numpy(model(t)) for t in (ids, changed))
    np.testing.assert_allclose(before[0, :12], after[0, :12], atol=1e-6)
    assert np.abs(before[0, 12:] - after[0, 12:]).max() > 1e-3
    vocab = [chr(ord("a") + i) for i in range(20)]
    generator = lesson.AttentionGenerator(model, vocab, window=16)
    text = "".join(vocab[i] for i in ids[0, :10])
    np.testing.assert_allclose(generator.read(text), before[0, 9], rtol=1e-4, atol=1e-5)  # padded after the context
    for k in range(10, 25):
        scores = generator.step(int(ids[0, k]))
    window = ids[:, 25 - 16 : 25]  # the last 16 characters: the window slides
    np.testing.assert_allclose(scores, keras.ops.convert_to_numpy(model(window))[0, -1], rtol=1e-4, atol=1e-5)


def test_the_plan_fills_the_budget_and_is_kept_for_a_resumed_run(tmp_path):
    config = lesson.Config(minutes=2.0)
    run = Run.start(LESSON, config, run_dir=tmp_path / "run")
    plan = lesson.training_plan(run, ["gru", "mingru"], config, {"gru": 1.0, "mingru": 0.25})
    assert plan == {"gru": {"rounds": 10, "steps": 12}, "mingru": {"rounds": 10, "steps": 48}}, "120 s of steps"
    assert lesson.training_plan(run, ["gru", "mingru"], config, {"gru": 9.0, "mingru": 9.0}) == plan
    fixed = lesson.Config(steps=7)
    other = Run.start(LESSON, fixed, run_dir=tmp_path / "other")
    assert lesson.training_plan(other, ["gru"], fixed, {"gru": 100.0}) == {"gru": {"rounds": 7, "steps": 1}}


def test_each_round_draws_its_own_windows_and_a_resumed_run_draws_the_same():
    ids = np.arange(1000)
    rounds = lesson.WindowRounds(ids, 16, 4, steps=3, seed=5)
    x, y = rounds[1]
    assert x.shape == y.shape == (4, 16) and (y == x + 1).all(), "the targets are the inputs one character on"
    first = [rounds[i][0] for i in range(3)]
    rounds.on_epoch_end()
    second = rounds[0][0]
    assert not any(np.array_equal(second, batch) for batch in first), "a new round draws new windows"
    resumed = lesson.WindowRounds(ids, 16, 4, steps=3, seed=5)
    resumed.on_epoch_end()  # what Run.fit does for each finished round before it resumes
    np.testing.assert_array_equal(resumed[0][0], second)
    assert (x[:, -1] < 1000).all() and (y[:, -1] <= 999).all()


@pytest.mark.parametrize("text", ["", "gru,gru", "lstm", "gru,,transformer,x"])
def test_a_wrong_model_list_is_refused(text):
    with pytest.raises(Exception, match="give one or more of gru, transformer, mingru"):
        lesson.model_names(text)
    assert lesson.model_names(" mingru , gru") == "mingru,gru"
