"""Data-parallel training on several worker processes: ``--workers N``.

``tf.distribute.MultiWorkerMirroredStrategy`` keeps one copy of the model in every worker; each
step, every worker takes its share of the global batch, computes gradients, and the workers add
them up (an all-reduce) before each applies the same update, so the copies stay identical. A
cluster is described to each process by the ``TF_CONFIG`` environment variable::

    {"cluster": {"worker": ["host0:port", "host1:port"]}, "task": {"type": "worker", "index": 0}}

On a cluster you start the same command on every machine, each with its own index. Here
``--workers N`` does that on this machine: it starts N copies of the command on localhost
ports and waits for them. Worker 0 (the chief) writes the run folder and prints; the others
write their logs (``worker-<i>.log``) there and their own files to a scratch folder in the system's
temporary folder (``course-worker<i>-*``), deleted when the workers end. If a worker dies, the
others are stopped and the run ends with one line, instead of waiting forever for the dead
worker's share of the all-reduce. Ctrl-C stops every worker; such a run cannot be resumed (the
workers' state is not backed up together), and the message says so.

On the JAX backend ``--workers N`` needs no second process: Keras 3's
``keras.distribution.DataParallel`` splits each global batch over N devices of this one process
(``data_parallel``). A CPU shows JAX one device unless XLA is told to present several
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``, read when jax is first imported), so on
a CPU the command runs again in a child process with that flag; GPUs are used as they are. The
torch backend has no Keras data-parallel API, so ``--workers`` stops there with one line.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_utils import CourseError

WORKER_ENV = "COURSE_WORKER"  # set in each worker process: its index
DEVICES_CHILD_ENV = "COURSE_DATA_PARALLEL_CHILD"  # set in the child that data_parallel starts with more CPU devices
CPU_DEVICE_FLAG = "--xla_force_host_platform_device_count"
_strategy = None


def worker_index() -> int | None:
    """This process's index among the workers, or None when it was not started by ``launch``."""
    value = os.environ.get(WORKER_ENV)
    return int(value) if value is not None else None


def is_chief() -> bool:
    return worker_index() in (None, 0)


def worker_count() -> int:
    config = json.loads(os.environ.get("TF_CONFIG", "{}") or "{}")
    return len(config.get("cluster", {}).get("worker", [])) or 1


def record() -> dict:
    """How this run trains, for metrics.json: the strategy (None for one device) and the number of workers
    (worker processes on TensorFlow, devices on JAX)."""
    if worker_index() is not None:
        return {"strategy": "MultiWorkerMirroredStrategy", "workers": worker_count()}
    distribution = _jax_distribution()
    if distribution is not None:
        return {"strategy": type(distribution).__name__, "workers": int(distribution.device_mesh.devices.size)}
    return {"strategy": None, "workers": 1}


def _jax_distribution():
    """The keras.distribution set by ``data_parallel`` (JAX backend), or None."""
    import keras

    return keras.distribution.distribution() if keras.backend.backend() == "jax" else None


def strategy():
    """The strategy to build and train models under: MultiWorkerMirroredStrategy in a worker process, the
    DataParallel distribution that ``data_parallel`` set on JAX, the default (one process, no distribution)
    otherwise. Each has a ``scope()``. A worker must call it before TensorFlow runs any op."""
    distribution = _jax_distribution()
    if distribution is not None:
        return distribution
    global _strategy
    if _strategy is None:
        import tensorflow as tf

        if worker_index() is None:
            _strategy = tf.distribute.get_strategy()
        else:
            _strategy = tf.distribute.MultiWorkerMirroredStrategy()
            _fix_keras_for_multi_worker()
    return _strategy


def shard_by_data(data):
    """In a worker process, a tf.data dataset that each worker reads whole and keeps its own part of every batch
    from (every worker makes the same batches); anything else unchanged."""
    if worker_index() is None:
        return data
    import tensorflow as tf

    if not isinstance(data, tf.data.Dataset):
        return data
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return data.with_options(options)


def _fix_keras_for_multi_worker() -> None:
    """Two places where Keras 3 (3.15) fails in ``fit`` under MultiWorkerMirroredStrategy; fixed here until it
    is fixed there.

    1. Before the first step, ``_maybe_symbolic_build`` averages the first batch over the workers with
       ``strategy.reduce("MEAN", (x, y))``; tf.distribute reduces one value, not a tuple ("Attempt to convert
       a value (PerReplica...) to a Tensor"). The batch only gives shapes and dtypes to build the model with:
       this worker's part does that, with no collective step.
    2. Each step's logs (one number per worker: loss, accuracy) are averaged with ``strategy.reduce("MEAN",
       v, axis=0)``, and a number has no axis 0 ("Invalid reduction dimension 0 for input with 0
       dimensions"): averaged over the workers with ``axis=None`` instead.
    """
    import tensorflow as tf
    from keras.src import tree
    from keras.src.backend.tensorflow import trainer

    build = trainer.TensorFlowTrainer._maybe_symbolic_build
    if getattr(build, "course_fix", False):
        return

    def local_part(strategy, value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        if iterator is not None and self._distribute_strategy is not None:
            for _, _, it in iterator:
                data_batch = tree.map_structure(lambda v: local_part(self._distribute_strategy, v), next(it))
                break
        return build(self, data_batch=data_batch)

    reduce = trainer.reduce_per_replica

    def reduce_per_replica(values, strategy, reduction):
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce(values, strategy, reduction)

    _maybe_symbolic_build.course_fix = True
    trainer.TensorFlowTrainer._maybe_symbolic_build = _maybe_symbolic_build
    trainer.reduce_per_replica = reduce_per_replica


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("localhost", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def launch(module: str, argvs: list[list[str]], log_dir: Path, poll_s: float = 0.2) -> int:
    """Run ``python -m module argvs[i]`` as worker i on localhost, one process each; return the exit status.

    Worker 0's output goes to this terminal, the others' to ``log_dir/worker-<i>.log``. When one
    worker fails, the others are stopped and a CourseError names it. Ctrl-C stops them all and
    returns 130, saying that the run cannot be resumed. The scratch folders made by
    ``scratch_run_dir`` are deleted when the workers have ended, whatever happened.
    """
    workers = len(argvs)
    log_dir.mkdir(parents=True, exist_ok=True)
    cluster = [f"localhost:{port}" for port in free_ports(workers)]
    processes, logs = [], []
    print(f"Starting {workers} workers on {', '.join(cluster)}; worker 0 prints, the others log to {log_dir}/")
    try:
        for index, argv in enumerate(argvs):
            env = {
                **os.environ,
                WORKER_ENV: str(index),
                "TF_CONFIG": json.dumps({"cluster": {"worker": cluster}, "task": {"type": "worker", "index": index}}),
            }
            log = None if index == 0 else open(log_dir / f"worker-{index}.log", "w", encoding="utf-8")  # noqa: SIM115
            logs.append(log)
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", module, *argv],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT if log else None,
                    start_new_session=True,  # stopped together by _stop, whatever happens here
                )
            )
        return _wait(processes, log_dir, poll_s)
    except KeyboardInterrupt:
        _stop(processes)
        print(
            f"\n{module.rsplit('.', 1)[-1]}: interrupted; the workers were stopped. A --workers run cannot be "
            f"resumed: {log_dir} keeps what it wrote so far (delete it when you no longer need it); "
            "to train, run the command again without --run-dir, which starts a new run",
            file=sys.stderr,
            flush=True,
        )
        return 130
    finally:
        _stop(processes)
        for log in logs:
            if log:
                log.close()
        remove_scratch_dirs()


def require_tensorflow() -> None:
    import keras

    backend = keras.backend.backend()
    if backend == "torch":
        raise CourseError(
            "--workers above 1 does not run on torch: Keras 3 has no data-parallel API for the torch backend "
            "(the course trains with MultiWorkerMirroredStrategy on tensorflow, keras.distribution.DataParallel "
            "on jax); leave out --workers, or run with BACKEND=tensorflow or BACKEND=jax"
        )
    if backend != "tensorflow":
        raise CourseError(
            "--workers trains with TensorFlow's MultiWorkerMirroredStrategy or JAX's DataParallel: run it on the "
            f"tensorflow or jax backend, not {backend}"
        )


def data_parallel(module: str, argv: list[str], workers: int, batch_size: int) -> int | None:
    """``--workers N`` on JAX: train in this process with keras.distribution.DataParallel over N devices.

    Returns None once the distribution is set (the caller then runs the lesson here), or the exit status of
    a child that ran ``python -m module argv`` with N CPU devices, when this process's jax sees fewer.
    """
    import jax
    import keras

    if batch_size % workers:
        raise CourseError(
            f"--batch-size {batch_size} does not split evenly over --workers {workers}: on jax DataParallel gives "
            f"each device an equal share of the global batch; choose a multiple of {workers}"
        )
    devices = jax.devices()
    if len(devices) < workers:
        if devices[0].platform != "cpu" or os.environ.get(DEVICES_CHILD_ENV):
            kind = "CPU device" if devices[0].platform == "cpu" else f"{devices[0].platform.upper()} device"
            raise CourseError(
                f"--workers {workers} needs {workers} jax devices and this machine shows {len(devices)} "
                f"{kind}{'s' if len(devices) != 1 else ''}; use --workers {len(devices)} or fewer"
            )
        return run_with_cpu_devices(module, argv, workers)
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices[:workers]))
    _place_uneven_batches_whole()
    names = ", ".join(dict.fromkeys(str(d.device_kind) for d in devices[:workers]))
    print(f"Data parallel on jax: one process, each batch split over {workers} devices ({names})")
    return None


def xla_flags_without_cpu_devices() -> list[str]:
    """The environment's XLA_FLAGS without any CPU device count."""
    return [f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith(CPU_DEVICE_FLAG)]


def end_data_parallel() -> None:
    """Undo ``data_parallel``'s distribution, so a later run in this process (a test, a notebook) trains on
    one device unless it asks again."""
    import keras

    if keras.backend.backend() == "jax" and keras.distribution.distribution() is not None:
        keras.distribution.set_distribution(None)


def run_with_cpu_devices(module: str, argv: list[str], count: int) -> int:
    """Run ``python -m module argv`` again with XLA showing ``count`` CPU devices (the flag must be set before
    jax is imported, too late in this process); its output is this terminal's, its exit status returned."""
    flags = xla_flags_without_cpu_devices()
    env = {**os.environ, "XLA_FLAGS": " ".join([*flags, f"{CPU_DEVICE_FLAG}={count}"]), DEVICES_CHILD_ENV: "1"}
    child = subprocess.Popen([sys.executable, "-m", module, *argv], env=env)
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl-C reached the child too: it prints how to resume and exits
        return child.wait()


def _place_uneven_batches_whole() -> None:
    """DataParallel cuts every batch into equal shares, one per device, and fails on a batch whose size does
    not divide (a dataset's last, partial batch). Such a batch is given whole to every device instead: the
    compiled step computes the same mean over the same rows (jax's result does not depend on where the rows
    lie), so nothing is dropped or padded; only that one step is not split."""
    import jax
    from keras.src.backend.jax import distribution_lib

    split = distribution_lib.distribute_data_input
    if getattr(split, "course_fix", False):
        return

    def distribute_data_input(per_process_batch, layout, batch_dim_name):
        sharding = getattr(layout, "backend_layout", layout)
        shares = sharding.mesh.shape[batch_dim_name]
        if getattr(per_process_batch, "ndim", 0) and per_process_batch.shape[0] % shares:
            whole = jax.sharding.NamedSharding(sharding.mesh, jax.sharding.PartitionSpec())
            return jax.device_put(per_process_batch, whole)
        return split(per_process_batch, layout, batch_dim_name)

    distribute_data_input.course_fix = True
    distribution_lib.distribute_data_input = distribute_data_input


def _wait(processes, log_dir: Path, poll_s: float) -> int:
    while True:
        codes = [p.poll() for p in processes]
        failed = [(i, c) for i, c in enumerate(codes) if c not in (None, 0)]
        if failed:
            index, code = failed[0]
            where = "above" if index == 0 else f"in {log_dir / f'worker-{index}.log'}"
            how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
            raise CourseError(
                f"worker {index} of {len(processes)} {how} (its output is {where}); the other workers were stopped"
            )
        if all(c == 0 for c in codes):
            return 0
        time.sleep(poll_s)


def _stop(processes, grace_s: float = 5.0) -> None:
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.time() + grace_s
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


_scratch_dirs: list[str] = []  # made by scratch_run_dir in this process and not deleted yet


def scratch_run_dir(index: int | None = None) -> str:
    """A new folder where worker ``index`` (not the chief) writes its copy of the run's files, thrown away:
    ``course-worker<index>-*`` in the system's temporary folder. Called once per worker, 1 to N-1 in order,
    the index may be left out. ``launch`` deletes these folders when the workers end (and this process
    does when it exits, if it never launched them)."""
    if index is None:
        index = worker_index() if worker_index() is not None else len(_scratch_dirs) + 1
    path = tempfile.mkdtemp(prefix=f"course-worker{index}-")
    _scratch_dirs.append(path)
    return path


def remove_scratch_dirs() -> None:
    """Delete the scratch folders ``scratch_run_dir`` made in this process."""
    while _scratch_dirs:
        shutil.rmtree(_scratch_dirs.pop(), ignore_errors=True)


atexit.register(remove_scratch_dirs)
