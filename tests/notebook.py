"""Executing a lesson as a notebook, as a learner would: jupytext + nbclient, kernel in lessons/, quick mode."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import notebooks

# Where executed notebooks are kept for reading (COURSE_KEEP_NOTEBOOKS=folder); by default a temporary folder.
KEEP = os.environ.get("COURSE_KEEP_NOTEBOOKS")
# One folder for the whole test session (set in tests/conftest.py) where every lesson that ran as a notebook
# leaves its notebook and metrics.json, so that tests/test_site.py builds the site without running them again.
EXECUTED = "COURSE_EXECUTED_NOTEBOOKS"


def execute_lesson(lesson: str, folder: Path, timeout: int = 900) -> tuple[nbformat.NotebookNode, Path]:
    """Run every cell of ``lessons/<lesson>.py`` in a fresh kernel with COURSE_QUICK=1.

    Returns the executed notebook and the run folder the lesson wrote (under ``folder``/runs).
    Fails the test with the failing cell's error if any cell raises.
    """
    runs = folder / "runs"
    shared = Path(os.environ[EXECUTED]) if os.environ.get(EXECUTED) else None
    notebook = None
    try:
        notebook = notebooks.execute_lesson(lesson, runs, quick=True, timeout=timeout)
    except notebooks.LessonFailed as err:
        notebook = err.notebook
        if shared is not None:
            shared.mkdir(parents=True, exist_ok=True)
            (shared / f"{lesson}.failed").write_text(str(err))
        pytest.fail(str(err))
    finally:
        out = Path(KEEP) if KEEP else folder
        out.mkdir(parents=True, exist_ok=True)
        if notebook is not None:
            nbformat.write(notebook, out / f"{lesson}.ipynb")
    run_dirs = sorted(p for p in (runs / lesson).glob("*") if p.is_dir())
    assert run_dirs, f"{lesson} as a notebook wrote no run folder under {runs / lesson}"
    if shared is not None:
        save_executed(shared, lesson, notebook, run_dirs[-1])
    return notebook, run_dirs[-1]


def save_executed(folder: Path, lesson: str, notebook, run_dir: Path) -> None:
    """Keep an executed lesson for the site's test: ``<lesson>.ipynb`` and its run's ``<lesson>.metrics.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    if (run_dir / "metrics.json").is_file():
        shutil.copyfile(run_dir / "metrics.json", folder / f"{lesson}.metrics.json")
    nbformat.write(notebook, folder / f"{lesson}.ipynb")
    (folder / f"{lesson}.failed").unlink(missing_ok=True)


def executed_metrics(folder: Path, lesson: str) -> dict:
    path = Path(folder) / f"{lesson}.metrics.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def outputs(notebook) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]


def printed_text(notebook) -> str:
    """Everything the cells printed or displayed as text, in order."""
    parts = []
    for output in outputs(notebook):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "text/plain" in output.get("data", {}) or "text/markdown" in output.get("data", {}):
            parts.append(output["data"].get("text/markdown") or output["data"]["text/plain"])
    return "".join(parts)


def figures_shown(notebook) -> int:
    return sum("image/png" in output.get("data", {}) for output in outputs(notebook))


def assert_every_code_cell_shows_something(notebook) -> None:
    """fastbook's rule: a code cell that leaves nothing visible is machinery in the wrong place (a cell of
    definitions shows them at work on a toy input, as d2l does)."""
    silent = [
        cell.source.strip().splitlines()[0]
        for cell in notebook.cells
        if cell.cell_type == "code" and not cell.get("outputs")
    ]
    assert not silent, f"code cells that show nothing: {silent}"


def code_cell_lengths(lesson_file) -> list[int]:
    """The number of lines of each code cell of a lesson file (blank lines left out)."""
    from course_utils.notebooks import as_notebook

    notebook = as_notebook(lesson_file)
    return [
        len([line for line in c.source.splitlines() if line.strip()]) for c in notebook.cells if c.cell_type == "code"
    ]
