"""Run one exercise's check against one file and turn whatever happens into a readable verdict.

The learner's code runs in a process of its own (exercises/sandbox.py); the check runs here, on the data that
process sends back, so nothing in the learner's file can change how it compares or what it decides.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exercises import Exercise
from exercises.checking import CheckFailed
from exercises.learner_file import display, exception_text
from exercises.sandbox import LearnerVerdict, Sandbox, SandboxGone, SandboxLearner, SandboxTimeout
from exercises.verdict import (  # noqa: F401  (the statuses, and the messages' helpers, as before)
    ERROR,
    FAILED,
    MISSING,
    NOT_DONE,
    PASSED,
    classify_exception,
    numpy_warnings,
    printable,
    syntax_error_message,
    where,
)

TIME_LIMIT_S = 60  # seconds of the learner's process's work, for one check


@dataclass
class Outcome:
    exercise: Exercise
    path: Path
    status: str
    message: str
    seconds: float
    output: str = ""  # what the learner's code printed while it was checked (control characters made visible)

    @property
    def passed(self) -> bool:
        return self.status == PASSED


def run_check(exercise: Exercise, path: Path, time_limit_s: float = TIME_LIMIT_S) -> Outcome:
    """Check the file ``path`` with ``exercise``'s check; never raises for anything the learner wrote."""
    path = Path(path).resolve()
    start = time.perf_counter()
    if not path.exists():
        return Outcome(
            exercise,
            path,
            MISSING,
            f"{display(path)} does not exist (make reset EX={exercise.id} restores the original)",
            0.0,
        )
    if not path.is_file():
        return Outcome(
            exercise,
            path,
            ERROR,
            f"{display(path)} is not a file (a folder?): move it away, then make reset EX={exercise.id} restores "
            "the original",
            0.0,
        )
    check = exercise.check_module
    learner = None
    sandbox = None
    status, message, output = PASSED, "", ""
    try:
        with quiet_arithmetic():
            sandbox = Sandbox(
                path,
                time_limit_s,
                probes_from=check.__name__ if hasattr(check, "SANDBOX_PROBES") else "",
                preload=tuple(getattr(check, "SANDBOX_PRELOAD", ())),
            )
            with sandbox:
                learner = SandboxLearner(sandbox, path)
                try:
                    learner.load()
                    message = check.check(learner) or "all checks passed"
                except CheckFailed as verdict:
                    status, message = FAILED, str(verdict)
                except LearnerVerdict as verdict:
                    status, message = verdict.status, verdict.message
                except SandboxTimeout:
                    status, message = (
                        ERROR,
                        f"your code was still running after {time_limit_s:g} s (an endless loop?), so it was "
                        f"stopped. {where(learner.case)}".rstrip(),
                    )
                except SandboxGone as gone:
                    status, message = ERROR, f"{gone} {where(learner.case)}".rstrip()
                except Exception as err:  # noqa: BLE001  (the check could not use what came back)
                    context = where(learner.case)
                    status, message = (
                        ERROR,
                        f"the check could not use your result: {exception_text(err)}"
                        + (f"\n{context}" if context else ""),
                    )
            output = sandbox.output()
    except SandboxTimeout:  # the fresh Python did not even start
        status, message = ERROR, "the checker could not start a Python to run your code in (is the machine busy?)"
    except SandboxGone as gone:
        status, message = ERROR, str(gone)
    if status in (FAILED, ERROR) and sandbox is not None and sandbox.warning:
        message = message.rstrip() + "\n" + sandbox.warning
    message = printable(message.rstrip())  # the learner's strings in it cannot move the cursor or hide a line
    return Outcome(exercise, path, status, message, time.perf_counter() - start, output.rstrip())


class quiet_arithmetic:
    """The check's own arithmetic (on -inf or NaN the learner sent back) warns nobody: NumPy's RuntimeWarnings
    about what the learner's code did are the learner's process's business, and its verdict's."""

    def __enter__(self):
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        self._errstate = np.errstate(all="ignore")
        self._errstate.__enter__()
        return self

    def __exit__(self, *exc):
        self._errstate.__exit__(*exc)
        self._catch.__exit__(*exc)
        return False
