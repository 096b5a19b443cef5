"""Run folders: one per training run, holding everything the run produced.

runs/<lesson>/<timestamp>-<cell>/
    lesson.txt     the lesson the folder belongs to
    logs/          TensorBoard event files (scalars, histograms, text)
    backup/        what an interrupted run needs to resume (removed when the run finishes)
        run.json       its settings, and how many sessions and seconds it has had
        <phase>/       each model the lesson trains: its state after the last finished epoch
    *.png          plots
    model.keras    the trained model
    metrics.json   final figures; a folder that has it holds a finished run

Resuming: run the lesson again with ``--run-dir <its folder>`` and the same settings. A model
whose training had finished is restored, not trained again; one that was being trained
continues after its last finished epoch with the same weights, optimiser state, callback
counters (early stopping, learning-rate schedule), random-number states and batches as an
uninterrupted run, so the run ends with the same numbers. The backups stay until
``run.finish()``, so a run interrupted after training (while evaluating, sampling...) does not
train again either. Every backup file is written atomically: a run killed at any moment
leaves the previous backup or the new one, never half of one.

One process at a time: a new folder is created exclusively (two runs started in the same second
get one each), and a run holds its folder until it finishes or its process ends, so a second run
started in it meanwhile is refused in one line instead of "resuming" a run that is still going.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import random
import shutil
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

from course_utils import REPO_ROOT, CourseError  # noqa: I001  (sets quiet logs before keras)
from course_utils.atomic import atomic_target, claim_new_folder, write_atomic
from course_utils.inputs import shown
from course_utils.progress import live
from course_utils import device, distributed

import keras
import numpy as np

RUN_RECORD = "run.json"  # in backup/
MODEL_LESSON_ENTRY = "course_lesson.txt"  # inside a .keras file: the lesson that saved it
PHASE_STATE = "state.json"  # in backup/<phase>/
DEFAULT_PHASE = "model"
# A loss above this has diverged (the course's losses are a few nats, or a few hundred for a sequence); beyond
# FLOAT32_MAX a number cannot even be logged (TensorBoard writes float32).
LOSS_LIMIT = 1e6
FLOAT32_MAX = float(np.finfo(np.float32).max)
# What early stopping and learning-rate schedules count between epochs (Keras resets them when fit begins).
CALLBACK_COUNTERS = ("wait", "best", "best_epoch", "stopped_epoch", "cooldown_counter")


def runs_root() -> Path:
    env = os.environ.get("COURSE_RUNS_DIR")
    return Path(env).expanduser() if env else REPO_ROOT / "runs"


def epoch_time_summary(epoch_seconds: dict) -> dict:
    """Each phase's epoch times in this session (a resumed run's earlier epochs are left out), and for the
    last phase trained (the lesson's model: a baseline trains first) its first epoch and the median of its
    later ones. The first epoch also builds (on JAX:
    compiles) the training step, so comparisons of backends and devices use the later ones."""
    if not epoch_seconds:
        return {}
    model_times = list(epoch_seconds.values())[-1]
    return {
        "epoch_seconds": {phase: [round(t, 2) for t in times] for phase, times in epoch_seconds.items()},
        "first_epoch_seconds": round(model_times[0], 2) if model_times else None,
        "later_epoch_seconds": round(float(np.median(model_times[1:])), 2) if len(model_times) > 1 else None,
    }


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


def is_finished(path: str | Path) -> bool:
    """Whether ``path`` holds a finished run (its metrics.json is written)."""
    return (Path(path) / "metrics.json").is_file()


def new_run_path(lesson: str, label: str | None = None) -> Path:
    """A new, empty folder under ``runs/<lesson>/``, named by the time and ``label`` (the cell, say).

    It is created here, exclusively: two runs started in the same second get a folder each (the
    second one's name ends in -2, -3...), never one between them."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}-{label}" if label else stamp
    return claim_new_folder(runs_root() / lesson, name)


def fit_verbosity():
    """Keras' live progress bar (steps, time left) in a terminal and in a notebook; one line per epoch in a log."""
    return "auto" if live() else 2


class Run:
    """One run folder. Create it with ``Run.start(lesson, config, cell=...)``."""

    def __init__(self, lesson: str, path: Path, resumed: bool = False, config=None):
        self.lesson = lesson
        self.path = Path(path)
        self.resumed = resumed
        self.settings = _settings(config)
        self.started = time.time()
        self.earlier_s = 0.0  # time this run spent in earlier, interrupted sessions
        self.sessions = 1
        self._trained = set()  # phases trained by run.epochs in this session: running one again starts it over
        self._fitted = {}  # phase -> (the model run.fit trained, its state when training began): a cell run again
        self._epoch_seconds = {}  # phase -> each epoch's training time, for metrics.json
        self._writer = None
        self._fits = {}  # phase -> (model, history) of its last run.fit, for metrics.json

    @classmethod
    def start(cls, lesson: str, config=None, *, cell: str | None = None, run_dir: str | Path | None = None) -> Run:
        """A new run folder under ``runs/<lesson>/``, or ``run_dir`` (by default ``config.run_dir``).

        An existing ``run_dir`` is resumed. It must be a run folder of this lesson that has not
        finished, started with the same ``config`` (the lesson's settings); an empty or new
        folder starts a run there. Anything else is refused with one line.
        """
        if run_dir is None and config is not None:
            run_dir = config.run_dir
        if run_dir is not None:
            if not str(run_dir).strip():
                raise CourseError(
                    "the run folder (--run-dir) is empty: name a folder, or leave it out for a new one under runs/"
                )
            path = Path(run_dir).expanduser()
        else:
            path = runs_root() / lesson
        try:
            if run_dir is None:
                path = new_run_path(lesson, cell)
            else:
                _check_folder(lesson, path)
            path.mkdir(parents=True, exist_ok=True)
            _hold(path)  # a second process starting a run in this folder now is refused
            if run_dir is not None:
                _check_folder(lesson, path)  # again, now that it is ours: another run may have finished it
            if not (path / "lesson.txt").is_file():
                write_atomic(path / "lesson.txt", lesson + "\n")
            run = cls(lesson, path, config=config)
            run._begin_session()
            print(f"Training on {device.describe()}.")
        except OSError as err:
            raise CourseError(f"cannot use {path} as a run folder: {err.strerror or err}") from None
        return run

    def _begin_session(self) -> None:
        backup = self.path / "backup"
        legacy = [*backup.glob("latest.weights.h5"), *backup.glob("*/latest.weights.h5")]
        if legacy:
            raise CourseError(
                f"{display_path(backup)} was written by an earlier version of the course and cannot be resumed; "
                "delete it to train this run from the start, or leave out --run-dir for a new run"
            )
        record_file = backup / RUN_RECORD
        if record_file.exists():
            record = _read_json(record_file, backup)
            old = record.get("settings")
            if self.settings is not None and old is not None and old != self.settings:
                raise CourseError(_other_settings(self.path, old, self.settings))
            try:
                self.earlier_s = float(record.get("seconds", 0.0))
                self.sessions = int(record.get("sessions", 1)) + 1
            except (TypeError, ValueError) as err:
                raise CourseError(_damaged(backup, f"{RUN_RECORD}: {_short(err)}")) from None
            self.resumed = True
            print(
                f"Resuming the interrupted run in {display_path(self.path)}: finished models are restored, "
                "the others continue after their last finished epoch."
            )
        self._save_record()

    def _save_record(self) -> None:
        record = {
            "lesson": self.lesson,
            "settings": self.settings,
            "sessions": self.sessions,
            "seconds": round(self.earlier_s + time.time() - self.started, 3),
        }
        write_atomic(self.path / "backup" / RUN_RECORD, json.dumps(record, indent=1) + "\n")

    @property
    def log_dir(self) -> Path:
        return self.path / "logs"

    def file(self, name: str) -> Path:
        return self.path / name

    # --- training --------------------------------------------------------------------------

    def fit(
        self,
        model,
        x=None,
        *,
        epochs: int,
        phase: str | None = None,
        callbacks=(),
        histograms: bool = True,
        verbose=None,
        **fit_kwargs,
    ):
        """``model.fit(x, epochs=epochs, ...)`` with this run's callbacks, resuming an interrupted run.

        Besides the lesson's ``callbacks`` (early stopping, samples...; they run first, so what
        they add to the logs is recorded too) it records each epoch's time (``epoch_time_s``),
        writes TensorBoard logs (to ``logs/``, or ``logs/<phase>`` when the lesson names each
        model it trains) and saves the model, its optimiser and the callbacks' counters after
        every epoch in ``backup/<phase>``. If that backup exists the model is restored from it
        first: a finished phase is not trained again, an unfinished one continues after its
        last finished epoch, drawing the batches an uninterrupted run would have drawn (``x``
        as a tf.data dataset or a PyDataset). A loss that becomes NaN, infinite or absurdly large
        (over ``LOSS_LIMIT``), or any logged number too large for TensorBoard's float32, stops
        training with one line, before the lesson's callbacks or TensorBoard see it.

        Returns Keras' History of every epoch of the phase, including those trained before an
        interruption; ``history.seconds`` is the training time of all sessions together.
        """
        name = phase or DEFAULT_PHASE
        self._fit_again_or_begin(name, model)
        x = distributed.shard_by_data(x)  # --workers: each worker keeps its own part of every batch
        if "validation_data" in fit_kwargs:
            fit_kwargs["validation_data"] = distributed.shard_by_data(fit_kwargs["validation_data"])
        backup = _PhaseBackup(self, name, model, list(callbacks), epochs)
        first, before_tensorboard = _DivergenceGuard(backup, batches=True), _DivergenceGuard(backup)
        state = backup.restore()
        done = state["epoch"] if state else 0
        if state:
            what = "its training had finished" if state["stopped"] else f"continuing after epoch {done} of {epochs}"
            print(f"Restored {name} from its backup: {what}")
        _replay_shuffles(x, done)
        if device.gpus():
            for line in device.cudnn_report(model):
                print(f"On the GPU this layer runs the generic kernel, not cuDNN's: {line}")
        tensorboard = keras.callbacks.TensorBoard(
            log_dir=str(self.log_dir / phase if phase else self.log_dir),
            histogram_freq=1 if histograms else 0,
            write_graph=False,
        )
        verbose = fit_verbosity() if verbose is None else verbose
        line = _LineAfterBar(live_bar=verbose in ("auto", 1))
        try:
            history = model.fit(
                x,
                epochs=done if state and state["stopped"] else epochs,
                initial_epoch=done,
                # the guard looks at Keras' own numbers before the lesson's callbacks use them, and at
                # what those callbacks added (a perplexity) before TensorBoard logs it
                callbacks=[first, EpochTimer(), line, *callbacks, line.done, before_tensorboard, tensorboard, backup],
                verbose=verbose,
                **fit_kwargs,
            )
        except Exception as err:
            message = device.mask_error(err)
            if message is None:
                raise
            raise CourseError(message) from None
        finally:
            line.restore()
        self._trained.add(name)
        self._epoch_seconds[name] = [float(t) for t in history.history.get("epoch_time_s", [])][done:]
        self._fits[name] = (model, history)
        return history

    def _fit_again_or_begin(self, phase: str, model) -> None:
        """A notebook cell that trains the same model again (after Ctrl-C, or after it finished) gets what a script
        gets: the backup if there is one (a finished phase is restored, an interrupted one continues after its last
        finished epoch), else the model, optimiser and random state it had when training began. A new model object
        for the phase (its cell was run again) is trained from the start."""
        seen = self._fitted.get(phase)
        backup = self.path / "backup" / phase
        if seen is not None and seen[0] is model:
            if _read_state(backup) is None:
                _put_back(model, seen[1])
                print(f"Training {phase} again from where it started (its first epoch had not finished)")
            return
        if seen is not None:
            shutil.rmtree(backup, ignore_errors=True)
        self._fitted[phase] = (model, _snapshot(model))

    def scope(self):
        """Where to build and compile a model: with ``--workers``, under the data-parallel strategy, so that every
        worker holds a copy (README, "More than one process"); otherwise a scope that changes nothing."""
        return distributed.strategy().scope()

    def local_copy(self, model):
        """The trained model to evaluate on this process alone: with ``--workers`` a plain copy (under the strategy
        ``predict`` is a step all workers must take together), otherwise ``model`` itself."""
        if distributed.worker_index() is None:
            return model
        copy = keras.models.clone_model(model)
        copy.set_weights(model.get_weights())
        return copy

    def epochs(self, phase: str, epochs: int, **state):
        """``range(epochs)`` for a training loop written by hand, resumable like ``fit``.

        ``state`` names everything the loop changes: NumPy arrays, dicts and objects holding
        them, lists of numbers, NumPy random generators. It is saved in ``backup/<phase>``
        after every epoch; in a resumed run it is restored in place and the loop continues
        after the last finished epoch.
        """
        self._start_over_if_trained(phase)
        folder = self.path / "backup" / phase
        saved = _read_state(folder)
        start = 0
        if saved is not None:
            if saved.get("epochs") != epochs:
                raise CourseError(_backup_does_not_fit(folder, f"it was made for {saved.get('epochs')} epochs"))
            arrays = _load_arrays(folder, saved)
            try:
                for name, value in state.items():
                    _restore_into(value, name, arrays, saved["values"])
            except (KeyError, ValueError, TypeError) as err:
                raise CourseError(_backup_does_not_fit(folder, _short(err))) from None
            start = saved["epoch"]
            what = "its training had finished" if start == epochs else f"continuing after epoch {start} of {epochs}"
            print(f"Restored {phase} from its backup: {what}")
        for epoch in range(start, epochs):
            yield epoch
            arrays, values = {}, {}
            for name, value in state.items():
                _flatten(value, name, arrays, values)
            _save_phase(self, folder, {"epoch": epoch + 1, "epochs": epochs, "values": values}, arrays)
        self._trained.add(phase)

    def _start_over_if_trained(self, phase: str) -> None:
        """A phase this session has trained already is trained again (a notebook cell run twice), not restored."""
        if phase in self._trained:
            shutil.rmtree(self.path / "backup" / phase, ignore_errors=True)
            self._trained.discard(phase)

    # --- outputs ---------------------------------------------------------------------------

    def save_model(self, model, name: str = "model.keras") -> Path:
        """Save a ``.keras`` model atomically (a crash leaves the previous file intact)."""
        target = self.path / name
        with atomic_target(target) as tmp:
            tmp.unlink()  # Keras refuses to overwrite without asking
            model.save(tmp)
            with zipfile.ZipFile(tmp, "a") as archive:  # which lesson made it, for predict (Keras ignores the entry)
                archive.writestr(MODEL_LESSON_ENTRY, self.lesson)
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
        """Write ``metrics.json``: the lesson's figures, its whole configuration, wall time, backend and versions.

        Once it is written the run is finished: the folder can no longer be resumed.
        """
        metrics = {**self.training_summary(), **metrics}
        if config is not None:  # its run_dir is what was asked for (often None); the record says where the run is
            context = {**{k: v for k, v in dataclasses.asdict(config).items() if k != "run_dir"}, **context}
        record = {
            "lesson": self.lesson,
            "run_dir": str(self.path),
            "finished": datetime.now().isoformat(timespec="seconds"),
            "wall_time_s": round(self.earlier_s + time.time() - self.started, 2),
            "sessions": self.sessions,
            "backend": keras.backend.backend(),
            "device": device.describe(),
            **distributed.record(),  # strategy and workers: processes on TensorFlow, devices on JAX
            "deterministic_ops": device.deterministic(),
            **epoch_time_summary(self._epoch_seconds),
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

    def training_summary(self) -> dict:
        """What metrics.json records of the lesson's model (the one ``fit`` trained without a phase name):
        its history, epochs, mean seconds per epoch and parameters. A lesson's own values win."""
        if DEFAULT_PHASE not in self._fits:  # a lesson that trains several named models records its own
            return {}
        model, history = self._fits[DEFAULT_PHASE]
        times = history.history.get("epoch_time_s", [])
        return {
            "epochs_run": len(history.history.get("loss", [])),
            "seconds_per_epoch": float(np.mean(times)) if times else None,
            "parameters": model.count_params(),
            "history": history.history,
        }

    def finish(self) -> None:
        """Remove the resume backups once the run is complete and say where everything is."""
        shutil.rmtree(self.path / "backup", ignore_errors=True)
        _let_go(self.path)
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
    owner = _model_lesson(path) or (_owner(marker) if marker.is_file() else lesson)
    if owner != lesson:
        hint = f"; use python -m lessons.{owner} predict" if (REPO_ROOT / "lessons" / f"{owner}.py").is_file() else ""
        raise CourseError(f"{path} was trained by {shown(owner)}, not by {lesson}{hint}")
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
        if self.limit_s and distributed.worker_index() is not None:
            # each worker would judge on its own clock, and one that stopped first would leave the others
            # waiting for it in the next all-reduce: with --workers the number of epochs decides alone
            if distributed.is_chief():
                print(f"With --workers, --max-minutes {max_minutes:g} is not applied: --epochs decides.")
            self.limit_s = 0
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


# --- the machinery behind Run.fit and Run.epochs --------------------------------------------


class _PhaseBackup(keras.callbacks.Callback):
    """Last in ``Run.fit``'s callbacks: saves the phase after every epoch, restores it, and (``check``, called
    by the ``_DivergenceGuard``s placed before the lesson's callbacks and before TensorBoard) stops training
    that has diverged: a loss that is NaN, infinite or absurdly large, a number too large to log.

    With the model it saves the state of Python's and NumPy's global random generators (Keras
    shuffles a PyDataset's batches with Python's), and puts them back when it restores: a
    resumed run draws what the uninterrupted run drew after the same epoch.
    """

    def __init__(self, run: Run, phase: str, model, others: list, epochs: int):
        super().__init__()
        self.run, self.phase, self.target, self.others = run, phase, model, others
        self.epochs = epochs
        self.folder = run.path / "backup" / phase
        self.history: dict[str, list] = {}
        self.done = 0
        self.epoch = 0
        self.state = None
        self.arrays = {}
        self.seconds_before = 0.0
        self.fit_started = time.time()

    def restore(self):
        """Load the phase's backup into the model and its optimiser; None when there is none."""
        state = _read_state(self.folder)
        if state is None:
            return None
        kinds = {"stopped": bool, "seconds": (int, float), "history": dict, "callbacks": list, "random": dict}
        wrong = sorted(key for key, kind in kinds.items() if not isinstance(state.get(key), kind))
        if wrong or not all(isinstance(c, dict) for c in state["callbacks"]):
            raise CourseError(_damaged(self.folder, f"{PHASE_STATE} has no valid {', '.join(wrong or ['callbacks'])}"))
        if state.get("epochs") != self.epochs:
            raise CourseError(_backup_does_not_fit(self.folder, f"it was made for {state.get('epochs')} epochs"))
        arrays = _load_arrays(self.folder, state)
        model = self.target
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        _assign(model.variables, arrays, "model", self.folder)
        if model.optimizer is not None:
            _assign(model.optimizer.variables, arrays, "optimizer", self.folder)
        self.state, self.arrays = state, arrays
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.done, self.seconds_before = state["epoch"], float(state["seconds"])
        return state

    def on_train_begin(self, logs=None):
        self.fit_started = time.time()
        if self.state is None:
            return
        _set_global_random(self.state["random"], self.arrays, self.folder)
        # The lesson's callbacks reset their counters when fit begins; give them back the saved ones.
        for i, (callback, saved) in enumerate(zip(self.others, self.state["callbacks"])):
            if saved.get("class") != type(callback).__name__:
                continue
            for key in CALLBACK_COUNTERS:
                if key in saved:
                    setattr(callback, key, saved[key])
            if "best_weights" in saved:
                callback.best_weights = [
                    self.arrays[f"callback{i}.best_weights.{j}"] for j in range(saved["best_weights"])
                ]

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def check(self, logs, epoch: int, batch: bool = False) -> None:
        """Stop with one line when training has diverged: a loss that is NaN, infinite or over ``LOSS_LIMIT``,
        or (after an epoch) any number too large to log as the float32 TensorBoard writes."""
        for key, value in (logs or {}).items():
            if not _is_number(value) or (batch and key != "loss"):
                continue
            value = float(value)
            if "loss" in key and not (math.isfinite(value) and abs(value) <= LOSS_LIMIT):
                raise self._diverged(key, value, epoch, "" if not math.isfinite(value) else f"over {LOSS_LIMIT:.0e}")
            if math.isfinite(value) and abs(value) > FLOAT32_MAX:
                raise self._diverged(key, value, epoch, "too large to log")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.check(logs, epoch)
        numbers = {k: float(v) for k, v in logs.items() if _is_number(v)}
        for key, value in numbers.items():
            self.history.setdefault(key, []).append(value)
        self.done = epoch + 1
        self._save(stopped=bool(self.model.stop_training), final=False)

    def on_train_end(self, logs=None):
        self._save(stopped=True, final=True)  # after early stopping has put back the best weights
        history = self.model.history
        history.history = {k: list(v) for k, v in self.history.items()}
        history.epoch = list(range(self.done))
        history.seconds = self.seconds

    def _save(self, stopped: bool, final: bool) -> None:
        arrays = {f"model.{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self.model.variables)}
        if self.model.optimizer is not None:
            arrays.update(
                {f"optimizer.{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(self.model.optimizer.variables)}
            )
        callbacks = []
        for i, callback in enumerate(self.others):
            saved = {"class": type(callback).__name__}
            for key in CALLBACK_COUNTERS:
                value = getattr(callback, key, None)
                if value is None or _is_number(value):
                    saved[key] = None if value is None else to_jsonable(value)
            best = getattr(callback, "best_weights", None)
            if best is not None:
                arrays.update({f"callback{i}.best_weights.{j}": np.asarray(w) for j, w in enumerate(best)})
                saved["best_weights"] = len(best)
            callbacks.append(saved)
        self.seconds = self.seconds_before + time.time() - self.fit_started
        state = {
            "epoch": self.done,
            "epochs": self.epochs,
            "stopped": stopped,
            "seconds": self.seconds,
            "history": self.history,
            "callbacks": callbacks,
            "random": _global_random(arrays),
        }
        _save_phase(self.run, self.folder, state, arrays, final=final)

    def _diverged(self, key: str, value, epoch: int, why: str = "") -> CourseError:
        where = f"epoch {epoch + 1}" + (f" of {self.phase}" if self.phase != DEFAULT_PHASE else "")
        return CourseError(
            f"training diverged: the {key.replace('_', ' ')} became {float(value):.4g}{f' ({why})' if why else ''} "
            f"in {where}; start a new run with a smaller learning rate (this one would diverge again)"
        )


class _LineAfterBar(keras.callbacks.Callback):
    """Under Keras' live progress bar, what the lesson's callbacks print at the end of an epoch (sample
    translations, captions) starts on a line of its own: the bar ends its line only after them, as the last
    callback. Between this callback and ``done``, the first write to standard output begins with a new line."""

    def __init__(self, live_bar: bool):
        super().__init__()
        self.live_bar, self.saved = live_bar, None
        self.done = _Call(self.restore)

    def on_epoch_end(self, epoch, logs=None):
        if self.live_bar and self.saved is None:
            self.saved, sys.stdout = sys.stdout, _NewLineFirst(sys.stdout)

    def restore(self, *args, **kwargs) -> None:
        if self.saved is not None:
            sys.stdout, self.saved = self.saved, None


class _Call(keras.callbacks.Callback):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def on_epoch_end(self, epoch, logs=None):
        self.function()


class _NewLineFirst:
    """``stream``, but its first non-empty write starts with a new line."""

    def __init__(self, stream):
        self.stream, self.pending = stream, True

    def write(self, text):
        if self.pending and text:
            self.pending = False
            text = text if text.startswith(("\n", "\r")) else "\n" + text
        return self.stream.write(text)

    def __getattr__(self, name):
        return getattr(self.stream, name)


class _DivergenceGuard(keras.callbacks.Callback):
    """``_PhaseBackup.check`` where ``Run.fit`` places it: first (after every batch, too), and again after the
    lesson's callbacks, just before TensorBoard."""

    def __init__(self, backup: _PhaseBackup, batches: bool = False):
        super().__init__()
        self.backup, self.batches = backup, batches

    def on_epoch_begin(self, epoch, logs=None):
        self.backup.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.batches:
            self.backup.check(logs, self.backup.epoch, batch=True)

    def on_epoch_end(self, epoch, logs=None):
        self.backup.check(logs, epoch)


def _snapshot(model) -> dict:
    """The model's and its optimiser's variables and the global random states, as numbers, to put back later."""
    ready = model.built and model.trainable_variables and distributed.worker_index() is None
    if ready and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)  # its variables start at the values it would build anyway
    arrays = {f"model.{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(model.variables)}
    if model.optimizer is not None and model.optimizer.built:
        arrays.update(
            {f"optimizer.{i}": keras.ops.convert_to_numpy(v) for i, v in enumerate(model.optimizer.variables)}
        )
    return {"arrays": arrays, "random": _global_random(arrays)}


def _put_back(model, snapshot: dict) -> None:
    arrays = snapshot["arrays"]
    for i, variable in enumerate(model.variables):
        variable.assign(arrays[f"model.{i}"])
    if model.optimizer is not None and model.optimizer.built:
        for i, variable in enumerate(model.optimizer.variables):
            if f"optimizer.{i}" in arrays:
                variable.assign(arrays[f"optimizer.{i}"])
    _set_global_random(snapshot["random"], arrays, Path("."))


def _replay_shuffles(data, epochs: int) -> None:
    """Advance ``data``'s shuffling past ``epochs`` epochs, as ``model.fit`` would have.

    ``model.fit`` opens a tf.data dataset's iterator at the start of every epoch and the next
    one at its end; each opening draws new shuffle seeds, and the first batch starts a
    generator's epoch (``course_utils.text.bucketed_batches`` counts them). A PyDataset
    reshuffles in ``on_epoch_end``. NumPy arrays are shuffled by Keras itself: a resumed run
    sees another batch order.
    """
    if not epochs:
        return
    if isinstance(data, keras.utils.PyDataset):
        for _ in range(epochs):
            data.on_epoch_end()
        return
    import tensorflow as tf

    if isinstance(data, tf.data.Dataset):
        for _ in range(epochs):
            next(iter(data), None)
            iter(data)


def _save_phase(run: Run, folder: Path, state: dict, arrays: dict, final: bool = False) -> None:
    """Arrays first, under a new name, then the state that names them: a kill leaves one whole backup."""
    name = f"arrays-{state['epoch']:04d}{'-final' if final else ''}.npz"
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_target(folder / name) as tmp:
        np.savez(tmp, **arrays)
    write_atomic(folder / PHASE_STATE, json.dumps(to_jsonable({**state, "arrays": name})) + "\n")
    for old in [*folder.glob("arrays-*.npz"), *folder.glob(".arrays-*")]:
        if old.name != name:
            old.unlink(missing_ok=True)
    run._save_record()


def _read_state(folder: Path):
    path = folder / PHASE_STATE
    if not path.exists():
        return None
    state = _read_json(path, folder)
    wrong = sorted(
        key
        for key, kind in {"epoch": int, "epochs": int, "arrays": str}.items()
        if not isinstance(state.get(key), kind)
    )
    if not wrong and Path(state["arrays"]).name != state["arrays"]:
        wrong = ["arrays"]  # a file name in the folder, nothing else
    if wrong:
        raise CourseError(_damaged(folder, f"{PHASE_STATE} has no valid {', '.join(wrong)}"))
    return state


def _read_json(path: Path, folder: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise CourseError(_damaged(folder, f"{path.name}: {_short(err)}")) from None
    if not isinstance(value, dict):
        raise CourseError(_damaged(folder, f"{path.name} is not a JSON object"))
    return value


def _load_arrays(folder: Path, state: dict) -> dict:
    path = folder / str(state["arrays"])
    try:
        with np.load(path, allow_pickle=False) as data:
            return {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        raise CourseError(_damaged(folder, f"{path.name}: {_short(err)}")) from None


def _assign(variables, arrays: dict, prefix: str, folder: Path) -> None:
    saved = sorted((k for k in arrays if k.startswith(prefix + ".")), key=lambda k: int(k.rsplit(".", 1)[1]))
    if len(saved) != len(variables):
        raise CourseError(
            _backup_does_not_fit(folder, f"it holds {len(saved)} {prefix} arrays, this model has {len(variables)}")
        )
    for variable, key in zip(variables, saved):
        if tuple(arrays[key].shape) != tuple(variable.shape):
            raise CourseError(
                _backup_does_not_fit(
                    folder, f"{variable.path} is {tuple(variable.shape)} here, {tuple(arrays[key].shape)} there"
                )
            )
    for variable, key in zip(variables, saved):
        variable.assign(arrays[key])


def _flatten(value, key: str, arrays: dict, values: dict) -> None:
    if isinstance(value, np.random.Generator):
        values[key] = {"bit_generator": value.bit_generator.state}
    elif isinstance(value, np.ndarray):
        arrays[key] = value
    elif isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{key}.{k}", arrays, values)
    elif value is None or isinstance(value, (bool, int, float, str, list, tuple, np.generic)):
        values[key] = to_jsonable(value)
    elif hasattr(value, "__dict__"):
        for k, v in vars(value).items():
            _flatten(v, f"{key}.{k}", arrays, values)
    else:
        raise TypeError(f"cannot back up {key} ({type(value).__name__})")


def _restore_into(value, key: str, arrays: dict, values: dict):
    """The saved ``key`` put back into ``value`` in place where it can be (arrays, dicts, lists, objects)."""
    if isinstance(value, np.random.Generator):
        value.bit_generator.state = values[key]["bit_generator"]
    elif isinstance(value, np.ndarray):
        saved = arrays[key]
        if saved.shape != value.shape:
            raise ValueError(f"{key} is {value.shape} here, {saved.shape} there")
        value[...] = saved
    elif isinstance(value, dict):
        for k in list(value):
            value[k] = _restore_into(value[k], f"{key}.{k}", arrays, values)
    elif isinstance(value, list):
        value[:] = values[key]
    elif value is None or isinstance(value, (bool, int, float, str, tuple, np.generic)):
        return values[key]
    else:
        for k, v in list(vars(value).items()):
            setattr(value, k, _restore_into(v, f"{key}.{k}", arrays, values))
    return value


def _global_random(arrays: dict) -> dict:
    """Python's and NumPy's global random states: the key array into ``arrays``, the rest returned."""
    version, internal, gauss = random.getstate()
    name, keys, position, has_gauss, cached = np.random.get_state()
    arrays["random.numpy"] = keys
    return {"python": [version, list(internal), gauss], "numpy": [name, position, has_gauss, cached]}


def _set_global_random(saved: dict, arrays: dict, folder: Path) -> None:
    try:
        version, internal, gauss = saved["python"]
        random.setstate((version, tuple(internal), gauss))
        name, position, has_gauss, cached = saved["numpy"]
        np.random.set_state((name, arrays["random.numpy"], position, has_gauss, cached))
    except (KeyError, TypeError, ValueError) as err:
        raise CourseError(_damaged(folder, f"random state: {_short(err)}")) from None


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, np.number)):
        return True
    return getattr(value, "shape", None) == () and hasattr(value, "dtype")


def _settings(config):
    if config is None:
        return None
    fields = {k: v for k, v in dataclasses.asdict(config).items() if k != "run_dir"}
    return json.loads(json.dumps(to_jsonable(fields)))


def _check_folder(lesson: str, path: Path) -> None:
    """``path`` may be new, empty, or an unfinished run of ``lesson``."""
    if path.exists() and not path.is_dir():
        raise CourseError(f"the run folder {path} is a file, not a folder")
    if not path.is_dir():
        return
    marker = path / "lesson.txt"
    if marker.is_file():
        owner = _owner(marker)
        if owner != lesson:
            raise CourseError(f"{path} belongs to {shown(owner)}, not {lesson}")
    elif any(path.iterdir()):
        raise CourseError(
            f"{path} is not a run folder (it has no lesson.txt) and is not empty: name a new folder, "
            "or an interrupted run's folder to resume it"
        )
    if is_finished(path):
        raise CourseError(
            f"{path} holds a finished run (its metrics.json is written), so there is nothing to resume: "
            "leave out --run-dir for a new run, or name a new folder"
        )


def _model_lesson(path: Path) -> str:
    """The lesson recorded inside a .keras file by ``Run.save_model`` ("" when none, or not a readable zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.read(MODEL_LESSON_ENTRY)[:200].decode("utf-8", errors="replace").strip()
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError):
        return ""


def _owner(marker: Path) -> str:
    """The lesson a run folder's ``lesson.txt`` names (its first 200 bytes; unreadable: "")."""
    try:
        with open(marker, "rb") as f:
            return f.read(200).decode("utf-8", errors="replace").strip()
    except OSError:
        return ""


_HELD: dict[str, int] = {}  # run folders this process holds: resolved path -> the open folder's descriptor


def _hold(path: Path) -> None:
    """Claim the run folder ``path`` for this process until ``finish`` (or the process ends): a second
    process that starts a run in it meanwhile (the same --run-dir, the same bench row twice) is refused in
    one line instead of training in the same folder. A lock on the folder itself (flock), so nothing is
    added to it and a killed run leaves nothing behind; this process may start it again (a notebook)."""
    key = str(path.resolve())
    if key in _HELD:
        return
    try:
        import fcntl
    except ImportError:  # Windows: no locks
        return
    fd = os.open(key, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise CourseError(
            f"{path} is in use by another run that has not ended (in another terminal or notebook); "
            "wait for it to end, or leave out --run-dir for a new run"
        ) from None
    except OSError:  # a file system without locks (some network ones): go on without
        os.close(fd)
        return
    _HELD[key] = fd


def _let_go(path: Path) -> None:
    fd = _HELD.pop(str(Path(path).resolve()), None)
    if fd is not None:
        os.close(fd)


def _other_settings(path: Path, old: dict, new: dict) -> str:
    changed = [k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    shown = ", ".join(
        f"--{k.replace('_', '-')} {_flag_value(old.get(k))} (now {_flag_value(new.get(k))})" for k in changed[:4]
    )
    more = f" and {len(changed) - 4} more" if len(changed) > 4 else ""
    return (
        f"{path} was started with other settings: {shown}{more}; run it with its own settings to resume it, "
        "or leave out --run-dir for a new run"
    )


def _flag_value(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "unset"
    return shown(str(value), 40)  # from the folder's run.json: whatever it holds is printed safely


def _damaged(folder: Path, reason: str) -> str:
    return (
        f"the backup in {display_path(folder)} is damaged ({reason}); delete that folder to train from the start, "
        "or leave out --run-dir for a new run"
    )


def _backup_does_not_fit(folder: Path, reason: str) -> str:
    return (
        f"the backup in {display_path(folder)} does not fit this model ({reason}): it was made with other settings "
        "or data; delete that folder to train this model from its first epoch, or leave out --run-dir for a new run"
    )


def _short(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text if len(text) <= 120 else text[:117] + "..."
