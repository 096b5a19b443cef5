"""--workers N on JAX: one process, keras.distribution.DataParallel over N devices (N CPU devices from XLA on a
CPU, in a child process started with XLA_FLAGS), and the one-line stops on torch and for a global batch that
does not split evenly over N."""

import json
import os

import pytest

from course_utils.distributed import CPU_DEVICE_FLAG, xla_flags_without_cpu_devices
from tests.helpers import lesson_main as main
from tests.test_backends import backend_installed, on_backend

# A probe run as `python -m`: in a process with one CPU device data_parallel runs it again with two; there it
# trains the same small model twice, on two devices and on one, with a last batch of 3 rows that does not split.
PROBE = """
import json, sys
import course_utils
import keras, numpy as np
from course_utils import distributed
from keras.src.backend.jax import distribution_lib

status = distributed.data_parallel("dp_probe", [], 2, 4)
if status is not None:
    sys.exit(status)
placed, split = [], distribution_lib.distribute_data_input

def spy(batch, layout, batch_dim_name):
    array = split(batch, layout, batch_dim_name=batch_dim_name)
    placed.append([batch.shape[0], array.sharding.is_fully_replicated])
    return array

distribution_lib.distribute_data_input = spy

def trained():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.random.default_rng(0).normal(size=(11, 3)).astype("float32")
    model.fit(x, x.sum(axis=1, keepdims=True), batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model.get_weights()

record, on_two = distributed.record(), trained()
keras.distribution.set_distribution(None)
on_one = trained()
gap = max(float(np.abs(a - b).max()) for a, b in zip(on_two, on_one))
print("PROBE " + json.dumps({"record": record, "placed": placed, "gap": gap}))
"""


def without_device_flag() -> dict:
    return {"XLA_FLAGS": " ".join(xla_flags_without_cpu_devices())}


def test_data_parallel_reruns_with_two_cpu_devices_and_trains_as_one_device(tmp_path):
    backend_installed("jax")
    (tmp_path / "dp_probe.py").write_text(PROBE)
    env = {**without_device_flag(), "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = on_backend("jax", "-m", "dp_probe", env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "each batch split over 2 devices" in result.stdout
    [line] = [line for line in result.stdout.splitlines() if line.startswith("PROBE ")]
    probe = json.loads(line.removeprefix("PROBE "))
    assert probe["record"] == {"strategy": "DataParallel", "workers": 2}
    # x and y of each of 3 batches (4, 4, 3 rows) for 2 epochs: the full batches split, the last one whole
    assert sorted({tuple(p) for p in probe["placed"]}) == [(3, True), (4, False)], probe["placed"]
    assert probe["gap"] < 1e-5, probe  # the same weights as on one device, up to float32 rounding


# Lesson 07 run twice in one process with two CPU devices (one start-up instead of two): with --workers 2 on
# both, then on one (which also shows that the first run's distribution does not outlive it)
TWO_THEN_ONE = """
import sys
from tests.helpers import lesson_main as main

short = ["--quick", "--epochs", "1", "--sample-length", "20", "--neuron-chars", "1000"]
for workers, folder in zip(("2", "1"), sys.argv[1:]):
    if main("lesson07_char_lm", [*short, "--workers", workers, "--run-dir", folder]):
        sys.exit(1)
"""


def test_lesson07_on_two_jax_devices_reaches_the_one_device_result(tmp_path, real_data):
    backend_installed("jax")
    one, two = tmp_path / "one", tmp_path / "two"
    env = {**without_device_flag(), "XLA_FLAGS": f"{CPU_DEVICE_FLAG}=2"}  # two devices already: no child process
    result = on_backend("jax", "-c", TWO_THEN_ONE, str(two), str(one), env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.count("each batch split over 2 devices") == 1
    single, double = (json.loads((folder / "metrics.json").read_text()) for folder in (one, two))
    assert (double["strategy"], double["workers"], double["backend"]) == ("DataParallel", 2, "jax")
    assert (single["strategy"], single["workers"]) == (None, 1)
    assert double["steps_per_epoch"] == single["steps_per_epoch"]  # the same global batches
    # Measured: the two agree to 1e-9 nats (the same updates up to float32 summation order), where another
    # seed moves a quick run's loss by about 0.01
    for key in ("val_loss_nats", "val_loss_windows_nats", "train_loss_nats"):
        assert abs(double[key] - single[key]) < 1e-6, (key, double[key], single[key])


@pytest.mark.parametrize(
    ("backend", "workers", "expected"),
    [
        ("torch", "2", "--workers above 1 does not run on torch: Keras 3 has no data-parallel API for the torch"),
        ("jax", "3", "--batch-size 64 does not split evenly over --workers 3"),
    ],
)
def test_workers_stops_in_one_line(backend, workers, expected, monkeypatch, capsys):
    """The command line's dispatch, in this process with the backend's name faked: both stop before any
    training or second process, so nothing of the faked backend runs."""
    import keras

    if backend == "jax":
        backend_installed("jax")  # data_parallel imports jax before it checks the batch
    monkeypatch.setattr(keras.backend, "backend", lambda: backend)
    assert main("lesson07_char_lm", ["--workers", workers]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith("python -m lessons.lesson07_char_lm: error: ") and expected in line, line
    assert captured.out == ""
