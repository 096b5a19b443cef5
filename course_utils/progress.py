"""Progress a learner sees wherever a lesson runs, and nothing noisy in a log.

``progress(iterable, total=None, what="...")`` wraps a loop (or, without an iterable, is a bar to
``update(n)`` by hand, as a download does) and returns a tqdm object. Where it draws:

- in a Jupyter kernel (JupyterLab, VS Code, nbclient): tqdm's notebook widget when ipywidgets is
  installed, else tqdm's text bar, which the notebook redraws in place (no warning either way);
- on a terminal (standard output is a TTY): tqdm's text bar on standard output;
- anywhere else (output to a log file or a pipe, CI, a test), or with ``COURSE_PROGRESS=0`` in the
  environment (a notebook executed to be read later): nothing at all.

A bar shows the count, the rate and an estimate of the time left. It appears only once the loop
has run for ``delay`` seconds (one by default), so a quick loop shows nothing. ``live()`` says
whether bars are drawn; ``quiet_in_logs()`` silences another library's own progress output
(Keras' download bar) where they are not.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

from course_utils import in_kernel

DELAY_S = 1.0  # a loop shorter than this shows no bar


def where() -> str | None:
    """Where a bar is drawn: "notebook" (a Jupyter kernel), "terminal" (standard output is a TTY), or None
    (also wherever ``COURSE_PROGRESS=0``: a notebook executed to be read later, as the rendered site is)."""
    if os.environ.get("COURSE_PROGRESS", "").strip().lower() in ("0", "no", "off", "false"):
        return None
    if in_kernel():
        return "notebook"
    try:
        return "terminal" if sys.stdout.isatty() else None
    except (AttributeError, ValueError):  # no stdout, or a closed one
        return None


def live() -> bool:
    """Whether progress is drawn here (a notebook or a terminal), not written to a log."""
    return where() is not None


def _widgets() -> bool:
    """Whether tqdm's notebook widget can be drawn (ipywidgets importable); checked without tqdm's warning."""
    try:
        from tqdm.notebook import IProgress
    except ImportError:
        return False
    return IProgress is not None


def progress(
    iterable=None, total: int | None = None, what: str = "", *, unit: str = "it", delay: float = DELAY_S, **kwargs
):
    """``iterable`` with a progress bar where one is seen (see the module docstring); ``what`` labels it.

    Other keyword arguments go to tqdm (``unit_scale=True`` for bytes, ``leave=False``...).
    """
    settings = {"total": total, "desc": what or None, "unit": unit, "delay": delay, **kwargs}
    place = where()
    if place is None:
        from tqdm.std import tqdm

        return tqdm(iterable, disable=True, **settings)
    if place == "notebook" and _widgets():
        from tqdm.notebook import tqdm

        return tqdm(iterable, **settings)
    from tqdm.std import tqdm

    if place == "notebook":  # text redrawn by the notebook: fewer, wider updates than on a terminal
        settings = {"mininterval": 0.5, "ncols": 100, "nrows": 24, **settings}
    elif _terminal_width():
        settings = {"dynamic_ncols": True, **settings}  # follows the window's width
    else:  # a terminal that reports no size (some containers' and CI's): tqdm would draw nothing
        settings = {"ncols": 80, "nrows": 24, **settings}
    return tqdm(iterable, file=sys.stdout, **settings)


def _terminal_width() -> int:
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


@contextlib.contextmanager
def quiet_in_logs():
    """Inside the block, what is printed on standard output is dropped unless progress is live (a terminal or a
    notebook): for another library's progress output, such as Keras' download bar, which writes every redraw."""
    if live():
        yield
        return
    with contextlib.redirect_stdout(io.StringIO()):
        yield
