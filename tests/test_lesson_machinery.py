"""How a lesson file runs as a script and as a notebook: configuration, flags, one-line errors,
sub-commands that never run the cells, and the notebooks `make notebooks` writes."""

import dataclasses
import json
import sys

import nbformat
import pytest

from course_utils import CourseError, in_kernel, lesson
from course_utils.notebooks import KERNELSPEC, lesson_files, write_notebooks

DEMO = '''"""Lesson XX: a demo lesson."""

# %%
import course_utils  # noqa: F401

import dataclasses
import json
import os
from dataclasses import dataclass

from course_utils import CourseError, cli
from course_utils.lesson import LessonConfig, configure, flag

LESSON = "lessonXX_demo"

# %%
@dataclass
class Config(LessonConfig):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(5, "training epochs", type=cli.positive_int)
    rate: float = flag(0.1, "a fraction", type=cli.fraction)
    fail: bool = flag(False, "raise a CourseError from a cell")

    QUICK = {"epochs": 2, "rate": 0.5}


config = configure(Config, LESSON)
print("CELL RAN")

# %%
if config.fail:
    raise CourseError("the data is missing; put it at X")
with open(os.environ["DEMO_OUT"], "w") as f:
    json.dump(dataclasses.asdict(config), f)

# %%
PREDICT_INPUT = "some text"


def predict_flags(parser):
    parser.add_argument("--shout", action="store_true")


def predict(args):
    if not args.inputs:
        raise CourseError("give some text")
    print(" ".join(text.upper() if args.shout else text for text in args.inputs))
'''


@pytest.fixture
def demo(tmp_path, monkeypatch):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "lessonXX_demo.py").write_text(DEMO)
    monkeypatch.setattr(lesson, "LESSONS_DIR", folder)
    monkeypatch.setenv("DEMO_OUT", str(tmp_path / "config.json"))
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    sys.modules.pop("_lesson_definitions.lessonXX_demo", None)
    yield tmp_path / "config.json"
    sys.modules.pop("_lesson_definitions.lessonXX_demo", None)


def run_demo(argv, out):
    status = lesson.main("lessonXX_demo", argv)
    return status, (json.loads(out.read_text()) if status == 0 and out.exists() else None)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--cell", "transformer"], "invalid choice: 'transformer'"),
        (["--epochs", "-1"], "expected a number above 0"),
        (["--epochs", "ten"], "expected a whole number"),
        (["--rate", "1.5"], "expected a value in [0, 1)"),
        (["--seed", "4294967296"], "below 2**32"),
        (["--unknown-flag"], "unrecognized arguments: --unknown-flag"),
        (["--fail"], "python -m lessons.lessonXX_demo: error: the data is missing; put it at X"),
        (["predict"], "python -m lessons.lessonXX_demo predict: error: give some text"),
    ],
)
def test_mistakes_give_one_line_and_exit_2(demo, argv, message, capsys):
    status, _ = run_demo(argv, demo)
    err = capsys.readouterr().err.strip()
    assert status == 2 and message in err and len(err.splitlines()) == 1, err


def test_flags_reach_the_lesson_and_quick_keeps_explicit_flags(demo, monkeypatch, capsys):
    status, seen = run_demo(["--cell", "lstm", "--epochs", "7"], demo)
    assert status == 0 and seen["cell"] == "lstm" and seen["epochs"] == 7 and not seen["quick"]
    assert "CELL RAN" in capsys.readouterr().out
    status, seen = run_demo(["--quick", "--epochs", "4"], demo)
    assert seen["quick"] and seen["epochs"] == 4 and seen["rate"] == 0.5, "QUICK applies except to explicit flags"
    monkeypatch.setenv("COURSE_QUICK", "1")
    status, seen = run_demo([], demo)
    assert seen["quick"] and seen["epochs"] == 2, "COURSE_QUICK=1 and --quick are the same thing"


def test_predict_uses_the_definitions_and_never_runs_a_cell(demo, capsys):
    assert lesson.main("lessonXX_demo", ["predict", "--shout", "hello", "there"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "HELLO THERE" and "CELL RAN" not in out
    assert not demo.exists(), "no cell ran"


def test_definitions_hold_functions_classes_and_constants_only(demo):
    defs = lesson.definitions("lessonXX_demo")
    assert defs.LESSON == "lessonXX_demo" and defs.PREDICT_INPUT == "some text"
    assert defs.Config().epochs == 5 and callable(defs.predict)
    assert not hasattr(defs, "config"), "cells (and their variables) are not executed"
    assert defs.__doc__.startswith("Lesson XX")


def test_a_notebook_edit_is_checked_like_a_flag():
    @dataclasses.dataclass
    class Config(lesson.LessonConfig):
        epochs: int = lesson.flag(3, "epochs", type=lesson.cli.positive_int)

    lesson.validate(Config())
    with pytest.raises(CourseError, match="--epochs: expected a number above 0"):
        lesson.validate(Config(epochs=0))
    assert lesson.with_quick(Config()).quick


def test_a_lesson_is_not_imported_as_a_module(demo):
    import importlib.util

    spec = importlib.util.spec_from_file_location("lessons.lessonXX_demo", lesson.LESSONS_DIR / "lessonXX_demo.py")
    with pytest.raises(CourseError, match="is a lesson to run"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert not demo.exists(), "no cell after the configuration ran"


def test_not_in_a_kernel_here():
    assert not in_kernel()


def test_make_notebooks_writes_one_per_lesson_and_keeps_a_learners_edits(tmp_path):
    report = write_notebooks(tmp_path)
    written = sorted(p.stem for p in tmp_path.glob("*.ipynb"))
    assert written == [p.stem for p in lesson_files()] and len(written) == 7, report
    notebook = nbformat.read(tmp_path / "lesson03_sentiment.ipynb", as_version=4)
    assert notebook.metadata.kernelspec["name"] == KERNELSPEC["name"]
    assert [c.cell_type for c in notebook.cells[:2]] == ["markdown", "code"], "docstring first, then the imports"
    notebook.cells[1].source += "\nprint('my own line')"
    nbformat.write(notebook, tmp_path / "lesson03_sentiment.ipynb")
    report = write_notebooks(tmp_path)
    assert "my own line" in (tmp_path / "lesson03_sentiment.ipynb").read_text(), "a learner's edits are kept"
    assert any("lesson03_sentiment.ipynb  kept" in line for line in report)
    assert any("lesson01_rnn_from_scratch.ipynb  up to date" in line for line in report)


def test_the_readme_way_to_open_a_notebook_is_what_make_does():
    from course_utils import REPO_ROOT

    readme = (REPO_ROOT / "README.md").read_text()
    makefile = (REPO_ROOT / "Makefile").read_text()
    block = readme.split("### A lesson as a notebook", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make notebooks", "make lab"]
    assert "notebooks: $(STAMP)" in makefile and "-m course_utils.notebooks" in makefile
    assert "lab: notebooks" in makefile and "jupyter lab lessons/" in makefile
