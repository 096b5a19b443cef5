"""Keras 3's other backends. The backend is fixed when keras is first imported, so these run in fresh
processes with KERAS_BACKEND set: the NumPy-equals-Keras tests and lesson07's quick run on JAX (make test
installs JAX, pinned in requirements-backends.txt), and the one-line stop of a lesson that needs TensorFlow."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from course_utils import REPO_ROOT, CourseError
from course_utils.lesson import LessonConfig, check_backend
from tests.conftest import data_required

# The tests that compare the course's NumPy RNN, LSTM and GRU with Keras' layers, and lesson 09's three forms
NUMPY_EQUALS_KERAS = {
    "tests/test_lesson01.py": "numpy_rnn_matches_keras or zero_initial_state",
    "tests/test_lesson02.py": "numpy_lstm_matches or numpy_gru_matches or wrong_gate_order or gru_variant_matters",
    "tests/test_exercises.py": "lstm_and_gru_references_equal_keras",
    # lesson 09: the minGRU's loop, parallel scan and log-space form agree, and its layer is the step in each form
    "tests/test_lesson09.py": "step_and_parallel_forms_agree or min_gru_layer_is_the_step",
}


def backend_installed(name: str) -> None:
    if importlib.util.find_spec(name) is None:
        message = f"the {name} backend is not installed (make test installs it: requirements-backends.txt)"
        if data_required():
            pytest.fail(message)
        pytest.skip(message)


def on_backend(backend: str, *args: str, env=None, timeout: int = 600) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {}), "KERAS_BACKEND": backend}
    return subprocess.run(
        [sys.executable, *args], cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=timeout
    )


def test_numpy_equals_keras_on_jax():
    """One process on JAX for all the files (one start of Python, Keras and JAX, not four)."""
    backend_installed("jax")
    selection = " or ".join(NUMPY_EQUALS_KERAS.values())
    result = on_backend("jax", "-m", "pytest", "-v", "-p", "no:cacheprovider", *NUMPY_EQUALS_KERAS, "-k", selection)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " deselected" in result.stdout, result.stdout[-2000:]
    for path in NUMPY_EQUALS_KERAS:
        ran = [line for line in result.stdout.splitlines() if line.startswith(f"{path}::") and "PASSED" in line]
        assert ran, f"nothing of {path} ran on JAX"


def test_lesson07_quick_run_on_jax(tmp_path, real_data):
    backend_installed("jax")
    result = on_backend("jax", "-m", "lessons.lesson07_char_lm", "--quick", env={"COURSE_RUNS_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Training on CPU" in result.stdout and "on jax" in result.stdout
    [metrics_file] = tmp_path.glob("lesson07_char_lm/*/metrics.json")
    metrics = json.loads(metrics_file.read_text())
    assert metrics["backend"] == "jax"
    losses = [value for key, value in metrics.items() if "loss" in key and isinstance(value, float)]
    assert losses and all(0 < loss < 4.2 for loss in losses), metrics  # below a uniform guess over ~65 characters


def test_a_lesson_stops_in_one_line_on_a_backend_it_does_not_support(monkeypatch):
    class TensorFlowOnly(LessonConfig):
        BACKENDS = ("tensorflow",)
        BACKEND_REASON = "it measures gradients with tf.GradientTape"

    import keras

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(CourseError) as error:
        check_backend(TensorFlowOnly)
    message = str(error.value)
    assert "runs on the tensorflow backend, not jax: it measures gradients with tf.GradientTape" in message
    assert "\n" not in message
    check_backend(LessonConfig)  # the default: every backend
