"""Run folders: one per training run, holding everything the run produced.

runs/<lesson>/<timestamp>-<cell>/
    logs/          TensorBoard event files (scalars, histograms, text)
    backup/        the last finished epoch, so an interrupted run can resume
    *.png          plots
    model.keras    the trained model
    metrics.json   final figures
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import time
from datetime import datetime
from pathlib import Path

from course_utils import REPO_ROOT, CourseError  # noqa: I001  (sets quiet logs before keras)
from course_utils.atomic import atomic_target, write_atomic  # noqa: F401  (write_atomic is used via runs)

import keras


def runs_root() -> Path:
    env = os.environ.get("COURSE_RUNS_DIR")
    return Path(env).expanduser() if env else REPO_ROOT / "runs"


def to_jsonable(value):
    """Turn NumPy scalars and arrays (and containers of them) into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value


class Run:
    """One run folder. Create it with ``Run.start(lesson, cell=..., run_dir=...)``."""

    def __init__(self, lesson: str, path: Path, resumed: bool = False):
        self.lesson = lesson
        self.path = Path(path)
        self.resumed = resumed
        self.started = time.time()
        self._writer = None

    @classmethod
    def start(cls, lesson: str, cell: str | None = None, run_dir: str | Path | None = None) -> Run:
        if run_dir is not None:
            path = Path(run_dir)
            resumed = (path / "backup").is_dir()
        else:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            name = f"{stamp}-{cell}" if cell else stamp
            path = runs_root() / lesson / name
            suffix = 1
            while path.exists():
                suffix += 1
                path = runs_root() / lesson / f"{name}-{suffix}"
            resumed = False
        path.mkdir(parents=True, exist_ok=True)
        marker = path / "lesson.txt"
        if marker.exists() and marker.read_text().strip() != lesson:
            raise CourseError(f"{path} belongs to {marker.read_text().strip()}, not {lesson}")
        write_atomic(marker, lesson + "\n")
        return cls(lesson, path, resumed)

    @property
    def log_dir(self) -> Path:
        return self.path / "logs"

    def file(self, name: str) -> Path:
        return self.path / name

    def callbacks(self, histograms: bool = True, resume: bool = True) -> list:
        """TensorBoard logging each epoch, resumable training, and per-epoch timing."""
        callbacks = [
            EpochTimer(),  # first, so the callbacks after it see epoch_time_s
            keras.callbacks.TensorBoard(
                log_dir=str(self.log_dir), histogram_freq=1 if histograms else 0, write_graph=False
            ),
        ]
        if resume:
            callbacks.append(keras.callbacks.BackupAndRestore(str(self.path / "backup")))
        return callbacks

    def save_model(self, model, name: str = "model.keras") -> Path:
        """Save a ``.keras`` model atomically (a crash leaves the previous file intact)."""
        target = self.path / name
        with atomic_target(target) as tmp:
            tmp.unlink()  # Keras refuses to overwrite without asking
            model.save(tmp)
        return target

    def save_figure(self, fig, name: str) -> Path:
        from course_utils.plots import save

        return save(fig, self.path / name)

    @property
    def writer(self):
        """A TensorBoard summary writer for what ``model.fit`` does not log itself."""
        if self._writer is None:
            import tensorflow as tf

            self._writer = tf.summary.create_file_writer(str(self.log_dir / "lesson"))
        return self._writer

    def log_scalar(self, tag: str, value: float, step: int) -> None:
        import tensorflow as tf

        with self.writer.as_default():
            tf.summary.scalar(tag, float(value), step=step)

    def log_text(self, tag: str, text: str, step: int) -> None:
        import tensorflow as tf

        with self.writer.as_default():
            tf.summary.text(tag, text, step=step)

    def write_metrics(self, metrics: dict, config=None, **context) -> Path:
        """Write ``metrics.json``: the lesson's figures, its whole configuration, wall time, backend and versions."""
        if config is not None:  # its run_dir is what was asked for (often None); the record says where the run is
            context = {**{k: v for k, v in dataclasses.asdict(config).items() if k != "run_dir"}, **context}
        record = {
            "lesson": self.lesson,
            "run_dir": str(self.path),
            "finished": datetime.now().isoformat(timespec="seconds"),
            "wall_time_s": round(time.time() - self.started, 2),
            "backend": keras.backend.backend(),
            "keras": keras.__version__,
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            **context,
            **metrics,
        }
        if self._writer is not None:
            self._writer.flush()
        path = self.path / "metrics.json"
        write_atomic(path, json.dumps(to_jsonable(record), indent=2) + "\n")
        return path

    def finish(self) -> None:
        """Remove the resume backup once the run is complete and say where everything is."""
        import shutil

        shutil.rmtree(self.path / "backup", ignore_errors=True)
        if self._writer is not None:
            self._writer.close()
        print(f"\nOutputs of this run: {display_path(self.path)}")
        for item in sorted(self.path.iterdir()):
            if not item.name.startswith("."):
                print(f"  {item.name}{'/' if item.is_dir() else ''}")
        print(f"TensorBoard: make tensorboard  (or: tensorboard --logdir {display_path(self.path.parent)})")


def display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def newest_model(lesson: str, name: str = "model.keras") -> Path:
    """The model file of the most recent finished run of ``lesson``."""
    folder = runs_root() / lesson
    candidates = sorted(folder.glob(f"*/{name}"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise CourseError(
            f"no trained model found under {display_path(folder)}; train one first "
            f"(python -m lessons.{lesson}) or pass --model PATH"
        )
    return candidates[-1]


def load_model(path: str | Path, lesson: str):
    """Load a ``.keras`` model saved by ``lesson``, with one-line errors for the usual mistakes."""
    path = Path(path)
    if not path.is_file():
        raise CourseError(f"model file {path} does not exist")
    if path.suffix != ".keras":
        raise CourseError(f"{path} is not a .keras model file")
    marker = path.parent / "lesson.txt"
    if marker.is_file() and marker.read_text().strip() != lesson:
        raise CourseError(f"{path} was trained by {marker.read_text().strip()}, not by {lesson}")
    try:
        return keras.models.load_model(path)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CourseError(f"could not load {path}: {first[:200]}") from None


class EpochTimer(keras.callbacks.Callback):
    """Adds ``epoch_time_s`` to the logs, so History and TensorBoard both record it."""

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.time()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_time_s"] = time.time() - self._t0


class TimeBudget(keras.callbacks.Callback):
    """Stops training before it overruns ``max_minutes`` (0 = no limit), for ``--max-minutes``.

    After each epoch it stops when one more epoch, at the average pace so far, would pass the
    limit; with ``mid_epoch`` it also stops inside an epoch once the limit is reached (on a busy
    machine a single epoch can be too long). The pace counts only the epochs this process ran,
    so a resumed run is judged on its own time.
    """

    def __init__(self, max_minutes: float, mid_epoch: bool = False):
        super().__init__()
        self.limit_s = 60 * max_minutes
        self.mid_epoch = mid_epoch
        self.epochs_here = 0

    def on_train_begin(self, logs=None):
        self.started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_here += 1
        next_epoch_ends = (time.time() - self.started) * (self.epochs_here + 1) / self.epochs_here
        if self.limit_s and not self.model.stop_training and next_epoch_ends > self.limit_s:
            print(f"Stopping after epoch {epoch + 1}: another would pass --max-minutes {self.limit_s / 60:g}.")
            self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        if self.mid_epoch and self.limit_s and not self.model.stop_training:
            if time.time() - self.started > self.limit_s:
                print(f"\nStopping at batch {batch + 1}: --max-minutes {self.limit_s / 60:g} reached.")
                self.model.stop_training = True
