"""Run one exercise's check against one file and turn whatever happens into a readable verdict."""

from __future__ import annotations

import signal
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exercises import Exercise
from exercises.checking import CheckFailed, Learner
from exercises.learner_file import display, exception_text, load_module, same_file

PASSED, NOT_DONE, FAILED, ERROR, MISSING = "passed", "not done yet", "failed", "error", "missing"
TIME_LIMIT_S = 60


@dataclass
class Outcome:
    exercise: Exercise
    path: Path
    status: str
    message: str
    seconds: float

    @property
    def passed(self) -> bool:
        return self.status == PASSED


class CheckTimeout(Exception):
    pass


def run_check(exercise: Exercise, path: Path, time_limit_s: int = TIME_LIMIT_S) -> Outcome:
    """Check the file ``path`` with ``exercise``'s check; never raises for anything the learner wrote."""
    path = Path(path).resolve()
    start = time.perf_counter()
    if not path.is_file():
        return Outcome(
            exercise,
            path,
            MISSING,
            f"{display(path)} does not exist (make reset EX={exercise.id} restores the original)",
            0.0,
        )
    learner = None
    status, message = PASSED, ""
    with time_limit(time_limit_s), numpy_warnings(path) as warned:
        try:
            learner = Learner(load_module(path), path)
            message = exercise.check_module.check(learner) or "all checks passed"
        except CheckFailed as verdict:
            status, message = FAILED, str(verdict)
        except CheckTimeout:
            status, message = (
                ERROR,
                (f"your code was still running after {time_limit_s} s (an endless loop?). " + where(learner)),
            )
        except SystemExit as err:
            status, message = (
                ERROR,
                f"your code called exit({err.code!r}), which would stop the checker. " + where(learner),
            )
        except SyntaxError as err:
            status, message = ERROR, syntax_error_message(err, path)
        except Exception as err:  # noqa: BLE001  (anything the learner's code raises becomes a verdict)
            status, message = classify_exception(err, path, learner)
    if status in (FAILED, ERROR) and warned.first is not None:
        message = message.rstrip() + "\n" + warned.line()
    return Outcome(exercise, path, status, message.rstrip(), time.perf_counter() - start)


WARNING_CAUSES = (  # (words in NumPy's warning, the likely cause)
    ("overflow encountered in exp", "exp of a large number: a softmax without subtracting the max?"),
    ("divide by zero encountered in log", "the log of 0?"),
    ("invalid value encountered in cast", "-inf, inf or NaN put into an int array?"),
    ("divide by zero", "a division by zero?"),
    ("invalid value encountered", "0/0, inf - inf or 0 * inf gives NaN"),
    ("overflow encountered", "a number too large for its type"),
)


class numpy_warnings:
    """Keep NumPy's RuntimeWarnings (overflow, division by zero, NaN) off the screen while a check runs, and
    remember the first one the learner's code raised: a failed verdict mentions it in one line.

    Other warnings (Keras', TensorFlow's) are shown as usual."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.first: tuple[str, str, int] | None = None
        self._sources: dict[str, str] = {}
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        self._errstate = np.errstate(over="warn", divide="warn", invalid="warn", under="ignore")
        self._errstate.__enter__()
        warnings.simplefilter("always", RuntimeWarning)
        self._show = warnings.showwarning
        warnings.showwarning = self._record
        return self

    def __exit__(self, *exc):
        self._errstate.__exit__(*exc)
        self._catch.__exit__(*exc)
        return False

    def _record(self, message, category, filename, lineno, file=None, line=None):
        source = self._source(filename) if issubclass(category, RuntimeWarning) else "other"
        if source == "other":  # Keras', TensorFlow's...: shown as usual
            self._show(message, category, filename, lineno, file, line)
        elif source == "checker" or self.first is not None:  # the check's own arithmetic (on -inf, say)
            return
        elif source == "learner":
            self.first = (str(message), filename, lineno)
        else:  # raised inside NumPy: the learner's line that called it, if any
            frame = sys._getframe()
            while frame is not None and not same_file(frame.f_code.co_filename, self.path):
                frame = frame.f_back
            if frame is not None:
                self.first = (str(message), frame.f_code.co_filename, frame.f_lineno)

    def _source(self, filename: str) -> str:
        """Where a RuntimeWarning comes from: "learner", "numpy", "checker" or "other" (remembered per file)."""
        if filename not in self._sources:
            if same_file(filename, self.path):
                self._sources[filename] = "learner"
            elif inside(filename, CHECKER_FILES):
                self._sources[filename] = "checker"
            else:
                self._sources[filename] = "numpy" if inside(filename, (NUMPY_DIR,)) else "other"
        return self._sources[filename]

    def line(self) -> str:
        text, filename, lineno = self.first
        place = f", at line {lineno} of {display(self.path)}" if same_file(filename, self.path) else ""
        cause = next((f" ({cause})" for words, cause in WARNING_CAUSES if words in text), "")
        return f"NumPy warned while running your code{place}: {text}{cause}"


NUMPY_DIR = Path(np.__file__).resolve().parent
CHECKER_FILES = (Path(__file__).resolve().parent / "checks", Path(__file__).resolve().parent / "checking.py")


def inside(filename: str, places) -> bool:
    try:
        file = Path(filename).resolve()
    except OSError:
        return False
    return any(file == place or place in file.parents for place in places)


def where(learner: Learner | None) -> str:
    return f"While checking: {learner.case}." if learner is not None and learner.case else ""


def classify_exception(err: BaseException, path: Path, learner: Learner | None) -> tuple[str, str]:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if same_file(f.filename, path)]
    if isinstance(err, NotImplementedError) and frames:
        todo = str(err) or "the TODO is still there"
        return NOT_DONE, f"{todo} (line {frames[-1].lineno} of {display(path)})"
    text = exception_text(err)
    if not frames:  # raised by the check while using what the learner's code returned
        context = where(learner)
        return ERROR, (f"the check could not use your result: {text}" + (f"\n{context}" if context else ""))
    lines = [f"your code raised {type(err).__name__}."]
    if learner is not None and learner.case:
        lines.append(f"While checking: {learner.case}")
    for frame in frames[-3:]:
        lines.append(f'  File "{display(path)}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.append(text)
    return ERROR, "\n".join(lines)


def syntax_error_message(err: SyntaxError, path: Path) -> str:
    lines = [
        f"{display(path)} does not parse: {type(err).__name__}: {err.msg}",
        f'  File "{display(Path(err.filename or path))}", line {err.lineno}',
    ]
    if err.text:
        lines.append(f"    {err.text.rstrip()}")
        if err.offset:
            lines.append("    " + " " * (err.offset - 1 - (len(err.text) - len(err.text.lstrip()))) + "^")
    return "\n".join(lines)


class time_limit:
    """Raise ``CheckTimeout`` in the main thread after ``seconds`` (POSIX only; elsewhere no limit)."""

    def __init__(self, seconds: int):
        self.seconds = seconds
        self.active = hasattr(signal, "SIGALRM") and _in_main_thread()

    def __enter__(self):
        if self.active:
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.alarm(self.seconds)
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, self.previous)
        return False

    @staticmethod
    def _expire(signum, frame):
        raise CheckTimeout()


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
