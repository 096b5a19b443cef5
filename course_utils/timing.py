"""Timing on this machine: best-of-n wall times, compiled functions per backend, and the scan table of lesson 09.

``python -m course_utils.timing scan --lengths 64 256 --repeats 5`` times lesson 09's sequential and parallel scans on
the backend named by ``KERAS_BACKEND`` and prints one JSON line; ``scan_table`` runs it once per backend, each in its
own process (a Keras process holds one backend).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

from course_utils import REPO_ROOT
from course_utils.progress import progress

BACKENDS = ("tensorflow", "jax")


def best_of(fn, repeats: int) -> float:
    """The shortest of ``repeats`` wall times of ``fn()`` in seconds, after one untimed call (tracing, warm caches)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compiled(fn):
    """``fn`` compiled for the current backend's graph (tf.function without XLA, jax.jit); torch runs it as is."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=False)  # XLA does not compile associative_scan
    if backend == "jax":
        import jax

        return jax.jit(fn)
    return fn


def finish(result):
    """Wait until a backend's asynchronous work is done (JAX dispatches and returns at once)."""
    import keras

    return [keras.ops.convert_to_numpy(r) for r in result] if isinstance(result, (list, tuple)) else \
        keras.ops.convert_to_numpy(result)  # fmt: skip


def device_name() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return str(jax.devices()[0].device_kind)
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    return "GPU" if gpus else "CPU"


def time_scans(lengths, width: int, batch: int, repeats: int) -> list[dict]:
    """Milliseconds of lesson 09's sequential and parallel linear recurrences, for each sequence length."""
    import keras
    import numpy as np

    from lessons.saved.lesson09_recurrence import linear_recurrence_loop, linear_recurrence_parallel

    sequential, parallel = compiled(linear_recurrence_loop), compiled(linear_recurrence_parallel)
    rng = np.random.default_rng(0)
    rows = []
    for length in lengths:
        a = keras.ops.convert_to_tensor(rng.uniform(0.5, 1.0, (batch, length, width)).astype("float32"))
        b = keras.ops.convert_to_tensor(rng.normal(size=(batch, length, width)).astype("float32"))
        h0 = keras.ops.zeros((batch, width))
        row = {"backend": keras.backend.backend(), "device": device_name(), "length": int(length)}
        for name, fn in (("sequential_ms", sequential), ("parallel_ms", parallel)):
            row[name] = 1000 * best_of(lambda fn=fn, a=a, b=b, h0=h0: finish(fn(a, b, h0)), repeats)
        rows.append(row)
    return rows


def backend_available(backend: str) -> bool:
    return backend == "tensorflow" or importlib.util.find_spec(backend) is not None


def scan_table(lengths, width: int = 256, batch: int = 32, repeats: int = 5, backends=BACKENDS) -> tuple[list, list]:
    """Each backend's ``time_scans`` rows, measured in a process of its own, and the backends that are not installed."""
    rows, missing = [], []
    for backend in progress(backends, what="timing the scans", unit="backend"):
        if not backend_available(backend):
            missing.append(backend)
            continue
        command = [sys.executable, "-m", "course_utils.timing", "scan", "--lengths", *map(str, lengths)]
        command += ["--width", str(width), "--batch", str(batch), "--repeats", str(repeats)]
        env = {**os.environ, "KERAS_BACKEND": backend, "COURSE_PROGRESS": "0"}
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"timing the scans on {backend} failed:\n{done.stderr[-2000:]}")
        rows += json.loads(done.stdout.strip().splitlines()[-1])
    return rows, missing


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.timing")
    commands = parser.add_subparsers(dest="command", required=True)
    scan = commands.add_parser("scan", help="time lesson 09's scans on KERAS_BACKEND and print JSON")
    scan.add_argument("--lengths", type=int, nargs="+", required=True)
    scan.add_argument("--width", type=int, default=256)
    scan.add_argument("--batch", type=int, default=32)
    scan.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import course_utils  # noqa: F401  (quiet logs before keras)

    print(json.dumps(time_scans(args.lengths, args.width, args.batch, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
