"""Executing a lesson as a notebook, as a learner would: jupytext + nbclient, kernel in lessons/, quick mode."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_utils.notebooks import LESSONS_DIR, as_notebook

# Where executed notebooks are kept for reading (COURSE_KEEP_NOTEBOOKS=folder); by default a temporary folder.
KEEP = os.environ.get("COURSE_KEEP_NOTEBOOKS")


def execute_lesson(lesson: str, folder: Path, timeout: int = 900) -> tuple[nbformat.NotebookNode, Path]:
    """Run every cell of ``lessons/<lesson>.py`` in a fresh kernel with COURSE_QUICK=1.

    Returns the executed notebook and the run folder the lesson wrote (under ``folder``/runs).
    Fails the test with the failing cell's error if any cell raises.
    """
    runs = folder / "runs"
    saved = {key: os.environ.get(key) for key in ("COURSE_QUICK", "COURSE_RUNS_DIR", "MPLBACKEND")}
    os.environ.update(COURSE_QUICK="1", COURSE_RUNS_DIR=str(runs))
    os.environ.pop("MPLBACKEND", None)  # the kernel chooses its inline backend, as in Jupyter
    notebook = as_notebook(LESSONS_DIR / f"{lesson}.py")
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(LESSONS_DIR)}}
    )
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{lesson} failed as a notebook:\n{str(err)[-3000:]}")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        out = Path(KEEP) if KEEP else folder
        out.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, out / f"{lesson}.ipynb")
    run_dirs = sorted(p for p in (runs / lesson).glob("*") if p.is_dir())
    assert run_dirs, f"{lesson} as a notebook wrote no run folder under {runs / lesson}"
    return notebook, run_dirs[-1]


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
