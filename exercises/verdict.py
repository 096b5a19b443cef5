"""The words of a verdict: its statuses, and what to say about an exception, a syntax error or a NumPy warning
raised by the learner's code. Used in the process that runs the learner's code (exercises/sandbox.py), which
has the traceback, and by the checker, which says the verdict."""

from __future__ import annotations

import re
import sys
import traceback
import warnings
from pathlib import Path

import numpy as np

from exercises.learner_file import display, exception_text, same_file

PASSED, NOT_DONE, FAILED, ERROR, MISSING = "passed", "not done yet", "failed", "error", "missing"
STATUSES = (PASSED, NOT_DONE, FAILED, ERROR, MISSING)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character (terminal escapes, carriage returns, text-direction marks) shown
    as ``?``: what the learner's process wrote cannot move the cursor, rewrite a line or hide the verdict."""
    return CONTROL.sub("?", str(text).replace("\r\n", "\n"))


def where(case: str) -> str:
    return f"While checking: {case}." if case else ""


def describe(err: BaseException, path: Path, case: str = "") -> tuple[str, str]:
    """``(status, message)`` for whatever the learner's code raised (while it was imported or called)."""
    if isinstance(err, SyntaxError) and err.filename and same_file(err.filename, path):
        return ERROR, syntax_error_message(err, path)
    if isinstance(err, SystemExit):
        return ERROR, f"your code called exit({err.code!r}), which would stop the checker. " + where(case)
    return classify_exception(err, path, case)


def classify_exception(err: BaseException, path: Path, case: str = "") -> tuple[str, str]:
    frames = [f for f in traceback.extract_tb(err.__traceback__) if same_file(f.filename, path)]
    if isinstance(err, NotImplementedError) and frames:
        todo = str(err) or "the TODO is still there"
        return NOT_DONE, f"{todo} (line {frames[-1].lineno} of {display(path)})"
    text = exception_text(err)
    if not frames:  # raised by the check while using what the learner's code returned
        context = where(case)
        return ERROR, (f"the check could not use your result: {text}" + (f"\n{context}" if context else ""))
    lines = [f"your code raised {type(err).__name__}."]
    if case:
        lines.append(f"While checking: {case}")
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


WARNING_CAUSES = (  # (words in NumPy's warning, the likely cause)
    ("overflow encountered in exp", "exp of a large number: a softmax without subtracting the max?"),
    ("divide by zero encountered in log", "the log of 0?"),
    ("invalid value encountered in cast", "-inf, inf or NaN put into an int array?"),
    ("divide by zero", "a division by zero?"),
    ("invalid value encountered", "0/0, inf - inf or 0 * inf gives NaN"),
    ("overflow encountered", "a number too large for its type"),
)


class numpy_warnings:
    """Keep NumPy's RuntimeWarnings (overflow, division by zero, NaN) off the screen while the learner's code
    runs, and remember the first one it raised: a failed verdict mentions it in one line.

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

    def line(self) -> str | None:
        if self.first is None:
            return None
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
