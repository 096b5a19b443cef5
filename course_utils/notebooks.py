"""``make notebooks``: write each lesson as a Jupyter notebook beside it (``lessons/lessonNN_*.ipynb``).

The ``.py`` file is the lesson's source of truth; the notebook is generated from it with
jupytext and uses the kernel of the Python that runs this (the course's ``.venv``). A notebook
that already exists is never overwritten: it may hold the learner's own edits and outputs.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import jupytext
import nbformat

from course_utils import REPO_ROOT
from course_utils.atomic import write_atomic

LESSONS_DIR = REPO_ROOT / "lessons"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def lesson_files() -> list[Path]:
    return sorted(LESSONS_DIR.glob("lesson[0-9][0-9]_*.py"))


def as_notebook(lesson_file: Path) -> nbformat.NotebookNode:
    """The lesson as an unexecuted notebook: one cell per ``# %%`` (code) or ``# %% [markdown]`` (prose)."""
    notebook = jupytext.read(lesson_file, fmt="py:percent")
    first = notebook.cells[0] if notebook.cells else None
    if first is not None and first.cell_type == "code" and _docstring_only(first.source):
        notebook.cells[0] = nbformat.v4.new_markdown_cell(docstring_as_markdown(ast.literal_eval(first.source.strip())))
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata.pop("jupytext", None)
    return notebook


def _docstring_only(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)


def docstring_as_markdown(docstring: str) -> str:
    """The lesson's docstring as the notebook's title cell: a heading, its prose, its commands in a code block."""
    title, _, rest = docstring.strip().partition("\n")
    paragraphs = [p for p in rest.strip().split("\n\n") if p.strip()]
    blocks = [f"# {title.strip()}"]
    for paragraph in paragraphs:
        aligned = any("  " in line.strip() for line in paragraph.splitlines())
        blocks.append(f"```text\n{paragraph}\n```" if aligned else paragraph)
    return "\n\n".join(blocks)


def sources(notebook) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def write_notebooks(folder: Path = LESSONS_DIR) -> list[str]:
    """Write every lesson's notebook into ``folder``; returns one line per lesson saying what happened."""
    report = []
    for lesson_file in lesson_files():
        target = Path(folder) / f"{lesson_file.stem}.ipynb"
        notebook = as_notebook(lesson_file)
        if target.exists():
            try:
                same = sources(nbformat.read(target, as_version=4)) == sources(notebook)
            except Exception:
                same = False
            state = "up to date" if same else "kept: it differs from the lesson (your edits?); delete it to regenerate"
            report.append(f"  {target.name}  {state}")
            continue
        write_atomic(target, nbformat.writes(notebook) + "\n")
        report.append(f"  {target.name}  written")
    return report


class LessonFailed(Exception):
    """A cell of a lesson raised while it ran as a notebook; ``notebook`` holds the cells run so far."""

    def __init__(self, lesson: str, notebook, message: str):
        super().__init__(message)
        self.lesson = lesson
        self.notebook = notebook


def execute_lesson(lesson: str, runs_dir: Path, quick: bool = True, timeout: int | None = 900) -> nbformat.NotebookNode:
    """Run every cell of ``lessons/<lesson>.py`` as a notebook in a fresh kernel, as a learner's Jupyter would.

    The kernel starts in lessons/, writes its run folder under ``runs_dir`` (COURSE_RUNS_DIR) and draws its
    figures inline; ``quick`` gives it COURSE_QUICK=1, otherwise it runs the lesson's default configuration.
    ``timeout`` is per cell, in seconds (None: none). Returns the executed notebook; raises
    :class:`LessonFailed` with the failing cell's error if a cell raises. The tests and ``make site`` use this.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    keys = ("COURSE_QUICK", "COURSE_RUNS_DIR", "MPLBACKEND")
    saved = {key: os.environ.get(key) for key in keys}
    os.environ["COURSE_RUNS_DIR"] = str(runs_dir)
    if quick:
        os.environ["COURSE_QUICK"] = "1"
    else:
        os.environ.pop("COURSE_QUICK", None)
    os.environ.pop("MPLBACKEND", None)  # the kernel chooses its inline backend, as in Jupyter
    notebook = as_notebook(LESSONS_DIR / f"{lesson}.py")
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(LESSONS_DIR)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],  # not the kernel's own warnings (TCP without encryption)
    )
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        raise LessonFailed(lesson, notebook, f"{lesson} failed as a notebook:\n{str(err)[-3000:]}") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


def main() -> int:
    print(f"Notebooks in {LESSONS_DIR.relative_to(REPO_ROOT)}/ (kernel: {sys.executable}):")
    print("\n".join(write_notebooks()))
    print("Open one in VS Code (choose the .venv interpreter as kernel), or run: make lab")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
