"""Checks shared by the tests: a finished run folder has every output it should, and their shared fixtures."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import matplotlib.image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def read_metrics(run_dir: Path) -> dict:
    path = Path(run_dir) / "metrics.json"
    assert path.is_file(), f"{path} missing"
    metrics = json.loads(path.read_text())
    for key in ("lesson", "wall_time_s", "backend", "seed"):
        assert key in metrics, f"metrics.json lacks {key!r}"
    return metrics


def assert_png(path: Path, min_side: int = 200) -> None:
    assert path.is_file() and path.stat().st_size > 5000, f"{path} missing or tiny"
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= min_side, f"{path}: shape {image.shape}"
    assert image[..., :3].std() > 0.01, f"{path} is a blank image"


def tensorboard_scalars(log_dir: Path) -> dict[str, list[int]]:
    """Every scalar under ``log_dir`` as ``"<sub-folder>/<tag>"`` (e.g. ``"train/epoch_loss"``)
    with the steps it was written at, read back with TensorBoard's own reader."""
    found: dict[str, list[int]] = {}
    event_dirs = {p.parent for p in Path(log_dir).rglob("events.out.tfevents.*")}
    assert event_dirs, f"no TensorBoard event files under {log_dir}"
    for folder in event_dirs:
        acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
        acc.Reload()
        prefix = folder.relative_to(log_dir).as_posix()
        for tag in acc.Tags().get("scalars", []):
            found.setdefault(f"{prefix}/{tag}", []).extend(e.step for e in acc.Scalars(tag))
        for tag in acc.Tags().get("tensors", []):  # TF2 summaries are stored as tensors
            found.setdefault(f"{prefix}/{tag}", []).extend(e.step for e in acc.Tensors(tag))
    return found


def assert_one_line_error(run, argv, capsys, message: str = "") -> str:
    """Run a lesson's command line with bad input: exit status 2 and a single line on stderr."""
    try:
        code = run(argv)
    except SystemExit as exit:  # argparse errors exit from inside parse_args
        code = exit.code
    err = capsys.readouterr().err.strip()
    assert code == 2, f"exit status {code}, stderr: {err}"
    assert message in err and len(err.splitlines()) == 1, err
    return err


# The 17 universal part-of-speech tags of Universal Dependencies.
UPOS_TAGS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
             "SCONJ", "SYM", "VERB", "X"}  # fmt: skip


class InterruptAt(keras.callbacks.Callback):
    """Ctrl-C as epoch ``epoch`` (0-based) begins: a run interrupted by the learner."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def assert_two_workers_split_every_batch(worker0_output: str, worker1_log: Path, steps: int = 10, half: int = 32):
    """Each of two workers printed ``SHARD [ids...]`` for its part of each batch: halves, never the same."""
    seen = {0: worker0_output, 1: worker1_log.read_text()}
    shards = {
        w: [json.loads(line[6:]) for line in text.splitlines() if line.startswith("SHARD ")] for w, text in seen.items()
    }
    assert len(shards[0]) == len(shards[1]) == steps
    for mine, theirs in zip(shards[0], shards[1]):
        assert len(mine) == len(theirs) == half, f"each worker computes half of the global batch of {2 * half}"
        assert not set(mine) & set(theirs), "and not the same half"


def one_and_two_worker_quick_runs(lesson: str, folder: Path, *flags: str) -> tuple[Path, Path, str]:
    """The lesson's --quick run (with ``flags``) on one worker and with --workers 2 (TensorFlow): both run folders
    and the two-worker run's printed output.

    The two runs are independent processes, so they run at the same time: the one-worker run keeps about one
    core busy, and the two-worker run leaves a core idle while its launcher and workers start and while the
    workers wait for each other (measured on 2 cores: lesson03's fixture 24 to 33 s shorter, lesson07's 5 s)."""
    one = start_quick(lesson, folder / "one", *flags)
    two = start_quick(lesson, folder / "two", *flags, "--workers", "2")
    try:
        finish_quick(one)
        out = finish_quick(two)
    finally:
        for started in (one, two):
            if started[0].poll() is None:
                started[0].kill()
                started[0].wait()
    return folder / "one", folder / "two", out


def train_quick(lesson: str, folder: Path, *flags: str) -> str:
    """The lesson's --quick run (with ``flags``) in a process of its own, into ``folder``: what it printed."""
    return finish_quick(start_quick(lesson, folder, *flags))


def start_quick(lesson: str, folder: Path, *flags: str) -> tuple[subprocess.Popen, list[str], Path]:
    """Start ``python -m lessons.<lesson> --quick *flags --run-dir folder``; its output goes to files beside
    ``folder`` (``finish_quick`` waits for it and reads them)."""
    from course_utils import REPO_ROOT

    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    command = [sys.executable, "-m", f"lessons.{lesson}", "--quick", *flags, "--run-dir", str(folder)]
    output = folder.parent / f"{folder.name}.output"
    output.mkdir(parents=True, exist_ok=True)
    with open(output / "stdout", "w") as stdout, open(output / "stderr", "w") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
        )
    return process, command, output


def finish_quick(started: tuple[subprocess.Popen, list[str], Path], timeout: float = 1200) -> str:
    process, command, output = started
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    assert process.returncode == 0, f"{' '.join(command[2:])} failed:\n{(output / 'stderr').read_text()[-3000:]}"
    return (output / "stdout").read_text()


def lesson_main(lesson: str, argv: list[str]) -> int:
    """``python -m lessons.<lesson> *argv`` in this process (faster than a new one: TensorFlow is loaded once),
    with the script's exit status: 0, 2 and one line for a CourseError, 130 for Ctrl-C.

    The lesson's module runs once, as ``__main__``, exactly as from the command line; only the exception hook
    that a real script run relies on is replaced by the same function, called here."""
    import runpy

    from course_utils import CourseError, distributed
    from course_utils.lesson import exit_status

    saved_argv, saved_hook = sys.argv, sys.excepthook
    sys.argv = [f"lessons/{lesson}.py", *argv]
    _count_lesson_executions()
    before = len(LESSON_EXECUTIONS)
    try:
        runpy.run_module(f"lessons.{lesson}", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
    except (KeyboardInterrupt, CourseError) as err:
        return exit_status(err, f"python -m lessons.{lesson}")
    finally:
        sys.argv, sys.excepthook = saved_argv, saved_hook
        distributed.end_data_parallel()
        ran = LESSON_EXECUTIONS[before:]
        assert ran == [f"{lesson}.py"], f"a run of {lesson} executed lesson module code {ran}, not its own once"
    return 0


LESSON_EXECUTIONS: list[str] = []  # every execution of a lesson file's module code in this process, in order


def _count_lesson_executions() -> None:
    """An audit hook (installed once: they cannot be removed) that records each time the module code of a file in
    lessons/ (not lessons/saved/) is executed: a lesson run must execute its own exactly once."""
    if getattr(_count_lesson_executions, "installed", False):
        return
    lessons = str(Path(__file__).resolve().parent.parent / "lessons")

    def hook(event, args):
        if event == "exec" and getattr(args[0], "co_name", "") == "<module>":
            path = Path(getattr(args[0], "co_filename", ""))
            if str(path.parent) == lessons and path.name.startswith("lesson"):
                LESSON_EXECUTIONS.append(path.name)

    sys.addaudithook(hook)
    _count_lesson_executions.installed = True
