"""The GPU path: the device line and metrics.json, determinism, which layers can use cuDNN, cuDNN's mask error
as one line, and what `make venv GPU=1` installs. These tests pass on a CPU-only machine (as on CI) and on a
GPU one (`make venv GPU=1`): what differs between the two is asserted for the machine they run on, and each
side's rules are also tested on the other with ``device.gpus`` replaced."""

import json
import shutil
import subprocess

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import REPO_ROOT, CourseError, device
from course_utils.runs import Run


def test_the_device_line_and_determinism_match_this_machine(monkeypatch):
    monkeypatch.delenv(device.DETERMINISM_ENV, raising=False)
    found = device.gpus()
    assert len(found) == len(tf.config.list_physical_devices("GPU"))
    if not tf.test.is_built_with_cuda():  # TensorFlow's CPU build, what `make venv` installs: no GPU, ever
        assert found == []
    line = device.describe()
    assert line.startswith("GPU (" if found else "CPU (") and "tensorflow 2." in line
    assert all(name in line for name in found)
    assert device.deterministic() is (not found)  # on unless a GPU is visible
    monkeypatch.setenv(device.DETERMINISM_ENV, "0")
    assert not device.deterministic()
    monkeypatch.setenv(device.DETERMINISM_ENV, "1")
    assert device.deterministic()


def test_without_a_gpu_the_line_says_cpu_and_determinism_is_on(monkeypatch):
    monkeypatch.setattr(device, "gpus", lambda: [])
    monkeypatch.delenv(device.DETERMINISM_ENV, raising=False)
    assert device.describe().startswith("CPU (") and "tensorflow 2." in device.describe()
    assert device.deterministic()
    monkeypatch.setenv(device.DETERMINISM_ENV, "0")
    assert not device.deterministic()


def test_on_a_gpu_determinism_is_off_unless_asked_for(monkeypatch):
    monkeypatch.setattr(device, "gpus", lambda: ["NVIDIA H200"])
    monkeypatch.delenv(device.DETERMINISM_ENV, raising=False)
    assert not device.deterministic()
    monkeypatch.setenv(device.DETERMINISM_ENV, "1")
    assert device.deterministic()
    assert device.describe().startswith("GPU (NVIDIA H200), Keras ")
    monkeypatch.setattr(device, "gpus", lambda: ["NVIDIA H200", "NVIDIA H200"])
    assert device.describe().startswith("GPU (2 x NVIDIA H200), Keras ")


def test_cudnn_report_names_each_layer_that_falls_back_and_why():
    inputs = keras.Input((None, 3))
    x = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))(inputs)  # cuDNN-ready
    x = keras.layers.GRU(4, return_sequences=True, reset_after=False, name="old_gru")(x)
    x = keras.layers.LSTM(3, recurrent_dropout=0.1, name="dropping_lstm")(x)
    outputs = keras.layers.Dense(1)(keras.layers.Reshape((1, 3))(x))
    inner = keras.Model(inputs, outputs)
    outer = keras.Sequential([keras.Input((None, 3)), inner, keras.layers.Flatten()])
    assert device.cudnn_report(outer) == [
        "old_gru (GRU): reset_after=False",
        "dropping_lstm (LSTM): recurrent_dropout=0.1",
    ]
    assert device.cudnn_blockers(keras.layers.SimpleRNN(3)) == []
    assert device.cudnn_blockers(keras.layers.LSTM(3, activation="relu", use_bias=False)) == [
        "activation=relu",
        "use_bias=False",
    ]


def lesson_models(cell):
    """The model of each lesson that has a --cell flag (03 to 08), with this cell, built from the lesson's own
    definitions (small vocabularies, no data)."""
    from course_utils.lesson import definitions

    l03, l04 = definitions("lesson03_sentiment"), definitions("lesson04_tagging")
    l05, l06 = definitions("lesson05_translation"), definitions("lesson06_captioning")
    l07, l08 = definitions("lesson07_char_lm"), definitions("lesson08_forecasting")
    tagger_vocab = {"words": ["", "[UNK]", "a"], "chars": ["", "a"], "tags": ["", "NOUN"]}
    return {
        "lesson03": l03.build_model(100, l03.Config(cell=cell)),
        "lesson03 bidirectional": l03.build_model(100, l03.Config(cell=cell, bidirectional=True)),
        "lesson04": l04.build_model(tagger_vocab, l04.Config(cell=cell), total_steps=10),
        "lesson05": l05.build_model(l05.Spec(50, 60, cell=cell), 1e-3),
        "lesson06": l06.training_model(l06.Spec(20, (32, 32, 3), cell=cell, units=8, embed_dim=4)),
        "lesson06 inject, attention": l06.training_model(
            l06.Spec(20, (32, 32, 3), cell=cell, units=8, embed_dim=4, image="inject", attention=True)
        ),
        "lesson07": l07.build_model(l07.ModelSpec(40, cell=cell)),
        "lesson08": l08.build_forecaster(l08.Config(cell=cell), len(l08.FEATURES), 90.0, 80.0),
        "lesson08 one step": l08.build_one_step(l08.Config(cell=cell), len(l08.FEATURES)),
    }


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_every_lessons_recurrent_layers_can_use_cudnn(cell):
    for lesson, model in lesson_models(cell).items():
        assert device.recurrent_layers(model), lesson
        assert device.cudnn_report(model) == [], lesson


def test_cudnn_mask_assertion_becomes_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RUNS_DIR", str(tmp_path))
    error = tf.errors.InvalidArgumentError(
        None,
        None,
        "assertion failed: [You are passing a RNN mask that does not correspond to right-padded "
        "sequences, while using cuDNN, which is not supported. ...]",
    )

    class FailsLikeCudnn(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            raise error

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    run = Run.start("test_device")
    data = tf.data.Dataset.from_tensor_slices((np.zeros((4, 2)), np.zeros((4, 1)))).batch(2)
    with pytest.raises(CourseError, match="cuDNN needs right-padded masks"):
        run.fit(model, data, epochs=1, callbacks=[FailsLikeCudnn()], verbose=0)
    assert device.mask_error(ValueError("something else")) is None


def test_a_run_prints_and_records_its_device(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_RUNS_DIR", str(tmp_path))
    monkeypatch.delenv(device.DETERMINISM_ENV, raising=False)
    run = Run.start("test_device")
    assert f"Training on {device.describe()}." in capsys.readouterr().out
    run.write_metrics({"loss": 1.0})
    metrics = json.loads((run.path / "metrics.json").read_text())
    assert metrics["device"] == device.describe()
    assert metrics["deterministic_ops"] is (not device.gpus())  # on a CPU, always; on a GPU, only when asked


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_venv_gpu_installs_the_gpu_build_at_the_pinned_version(tmp_path):
    pinned = next(
        line.split("==")[1].split(";")[0].strip()
        for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
        if line.startswith("tensorflow-cpu==")
    )
    venv = tmp_path / "venv"
    dry = subprocess.run(
        ["make", "-n", "venv", "GPU=1", f"VENV={venv}"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert f'"tensorflow[and-cuda]=={pinned}"' in dry and "uninstall --quiet --yes tensorflow-cpu" in dry
    assert "touch" in dry and ".gpu" in dry
    (venv).mkdir()
    (venv / ".gpu").touch()  # the venv remembers GPU=1: a plain make keeps the GPU build
    again = subprocess.run(["make", "-n", "venv", f"VENV={venv}"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    assert "tensorflow[and-cuda]" in again
    back = subprocess.run(
        ["make", "-n", "venv", "GPU=0", f"VENV={venv}"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout
    assert "uninstall --quiet --yes tensorflow " in back and "-r requirements.txt" in back
