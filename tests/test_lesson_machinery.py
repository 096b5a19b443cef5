"""How a lesson file runs as a script and as a notebook: once, top to bottom; configuration, flags, one-line
errors, Ctrl-C, sub-commands that never run the cells, the saved definitions, and the notebooks `make notebooks`
writes."""

import ast
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_utils import REPO_ROOT, CourseError, export, in_kernel, lesson
from course_utils.notebooks import KERNELSPEC, as_notebook, lesson_files, write_notebooks
from tests.helpers import LESSON_EXECUTIONS, lesson_main

DEMO = '''"""Lesson XX: a demo lesson."""

# %%
import course_utils  # noqa: F401

import dataclasses
import json
import os
import sys
from dataclasses import dataclass

from course_utils import CourseError, cli
from course_utils.lesson import LessonConfig, configure, flag

LESSON = "lessonXX_demo"
COUNTER = os.environ.get("DEMO_COUNT")
if COUNTER:  # how many times the module's code runs
    with open(COUNTER, "a") as f:
        f.write("ran\\n")

# %%
@dataclass
class Config(LessonConfig):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(5, "training epochs", type=cli.positive_int)
    rate: float = flag(0.1, "a fraction", type=cli.fraction)
    fail: bool = flag(False, "raise a CourseError from a cell")
    interrupt: bool = flag(False, "Ctrl-C in a cell")

    QUICK = {"epochs": 2, "rate": 0.5}


config = configure(Config, LESSON)
print("CELL RAN")

# %%
if config.fail:
    raise CourseError("the data is missing; put it at X")
if config.interrupt:
    raise KeyboardInterrupt
with open(os.environ["DEMO_OUT"], "w") as f:
    json.dump(dataclasses.asdict(config), f)
'''


@pytest.fixture
def demo(tmp_path):
    path = tmp_path / "lessonXX_demo.py"
    path.write_text(DEMO)
    return path


def run_demo(path, *argv, **env):
    out = path.parent / "config.json"
    out.unlink(missing_ok=True)
    environment = {**os.environ, "DEMO_OUT": str(out), **env}
    environment.pop("COURSE_QUICK", None) if "COURSE_QUICK" not in env else None
    done = subprocess.run(
        [sys.executable, str(path), *argv], capture_output=True, text=True, env=environment, cwd=REPO_ROOT, timeout=120
    )
    seen = json.loads(out.read_text()) if done.returncode == 0 and out.exists() else None
    return done, seen


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--cell", "transformer"], "invalid choice: 'transformer'"),
        (["--epochs", "-1"], "expected a number above 0"),
        (["--unknown-flag"], "unrecognized arguments: --unknown-flag"),
        (["--fail"], "python -m lessons.lessonXX_demo: error: the data is missing; put it at X"),
        (["predict"], "this lesson has no predict command"),
    ],
)
def test_mistakes_give_one_line_and_exit_2(demo, argv, message):
    done, _ = run_demo(demo, *argv)
    err = done.stderr.strip()
    assert done.returncode == 2 and message in err and len(err.splitlines()) == 1, err


def test_ctrl_c_says_how_to_resume_and_exits_130(demo):
    done, _ = run_demo(demo, "--interrupt")
    assert done.returncode == 130 and "--run-dir" in done.stderr and "Traceback" not in done.stderr


def test_a_script_runs_the_lesson_once_with_its_flags(demo, tmp_path):
    counter = tmp_path / "count.txt"
    done, seen = run_demo(demo, "--cell", "lstm", "--epochs", "7", DEMO_COUNT=str(counter))
    assert done.returncode == 0 and seen["cell"] == "lstm" and seen["epochs"] == 7 and not seen["quick"]
    assert done.stdout.count("CELL RAN") == 1
    assert counter.read_text().count("ran") == 1, "the module's code ran more than once"
    _, seen = run_demo(demo, "--quick", "--epochs", "4")
    assert seen["quick"] and seen["epochs"] == 4 and seen["rate"] == 0.5, "QUICK applies except to explicit flags"
    _, seen = run_demo(demo, COURSE_QUICK="1")
    assert seen["quick"] and seen["epochs"] == 2, "COURSE_QUICK=1 and --quick are the same thing"


def test_a_real_lesson_runs_its_module_code_once(capsys):
    """An audit hook (tests/helpers.py) records every execution of a lesson file's module code; every in-process
    lesson run of the suite (lesson_main) asserts that its lesson ran exactly once, and nothing else of lessons/."""
    before = len(LESSON_EXECUTIONS)
    assert lesson_main("lesson01_rnn_from_scratch", ["predict", "--model", "/nonexistent/model.keras", "em"]) == 2
    assert LESSON_EXECUTIONS[before:] == ["lesson01_rnn_from_scratch.py"]
    assert "does not exist" in capsys.readouterr().err


def test_course_utils_never_executes_a_lesson():
    for path in (REPO_ROOT / "course_utils").rglob("*.py"):
        tree = ast.parse(path.read_text())
        called = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "") for n in
                  ast.walk(tree) if isinstance(n, ast.Call)}  # fmt: skip
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not called & {"exec", "run_path", "run_module", "_getframe"}, path
        assert "runpy" not in imported, path


def test_no_lesson_defines_commands_or_touches_workers():
    for path in lesson_files():
        tree = ast.parse(path.read_text())
        names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        names |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        assert not names & {"predict", "compare", "predict_flags", "COMMANDS", "PREDICT_INPUT"}, path.name
        assert "distributed" not in path.read_text(), path.name


def test_the_saved_definitions_are_up_to_date():
    assert export.stale() == [], "a lesson changed after `make export`: run make export"


def test_saved_definitions_leave_out_what_reads_a_cells_variable(tmp_path):
    source = tmp_path / "lesson99_x.py"
    source.write_text(
        "import numpy as np\nimport os\n\nLIMIT = 3\n\n\ndef kept(x):\n    return np.clip(x, 0, LIMIT)\n\n\n"
        "data = [1]\n\n\ndef dropped():\n    return data\n\n\ndef also_dropped():\n    return dropped()\n"
    )
    saved = export.saved_source(source)
    tree = ast.parse(saved)
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert defined == {"kept"} and "LIMIT = 3" in saved and "import os" not in saved
    namespace = {}
    exec(compile(saved, "saved", "exec"), namespace)
    assert namespace["kept"](7) == 3


def test_importing_a_lesson_as_a_module_is_refused():
    code = "import lessons.lesson01_rnn_from_scratch"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert done.returncode != 0 and "is a lesson to run" in done.stderr


def test_the_configuration_shows_the_lessons_own_settings():
    @dataclasses.dataclass
    class Config(lesson.LessonConfig):
        epochs: int = lesson.flag(3, "epochs", type=lesson.cli.positive_int)
        workers: int = lesson.flag(1, "workers", type=lesson.cli.positive_int)

    rows = Config().table().splitlines()
    assert rows[2:] == ["| epochs | 3 |"], "seed, quick, run_dir and workers are not the lesson's own"


def test_a_notebook_edit_is_checked_like_a_flag():
    @dataclasses.dataclass
    class Config(lesson.LessonConfig):
        epochs: int = lesson.flag(3, "epochs", type=lesson.cli.positive_int)

    lesson.validate(Config())
    with pytest.raises(CourseError, match="--epochs: expected a number above 0"):
        lesson.validate(Config(epochs=0))
    assert lesson.with_quick(Config()).quick


def execute(notebook, tmp_path, **env):
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(
            notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(REPO_ROOT / "lessons")}}
        ).execute()
    finally:
        for key, value in saved.items():
            os.environ.pop(key) if value is None else os.environ.__setitem__(key, value)


def config_notebook(epochs: str):
    """lesson01's first cells as a notebook, the default of ``epochs`` edited in its Config cell, then a cell
    printing the configuration (the cell's own print and run folder come first)."""
    notebook = as_notebook(REPO_ROOT / "lessons" / "lesson01_rnn_from_scratch.py")
    index = next(i for i, c in enumerate(notebook.cells) if "configure(Config" in c.source)
    cell = notebook.cells[index]
    assert 'epochs: int = flag(8, "training epochs"' in cell.source
    cell.source = cell.source.replace("epochs: int = flag(8,", f"epochs: int = flag({epochs},")
    shown = nbformat.v4.new_code_cell(
        "import dataclasses, json; print('CONFIG', json.dumps(dataclasses.asdict(config)))"
    )
    notebook.cells = notebook.cells[: index + 1] + [shown]
    return notebook


def notebook_config(notebook):
    text = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    return json.loads(text.split("CONFIG ", 1)[1].splitlines()[0])


def test_in_a_notebook_an_edited_value_wins_over_quick(tmp_path):
    edited = config_notebook("5")  # (an untouched cell gets the quick values: every lesson's notebook test)
    execute(edited, tmp_path, COURSE_QUICK="1", COURSE_RUNS_DIR=str(tmp_path / "runs"))
    assert notebook_config(edited)["quick"] and notebook_config(edited)["epochs"] == 5, "the learner's edit"


def test_in_a_notebook_a_bad_value_is_one_line(tmp_path):
    notebook = config_notebook("0")
    with pytest.raises(CellExecutionError):
        execute(notebook, tmp_path, COURSE_RUNS_DIR=str(tmp_path / "runs"))
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    shown = "".join(o.get("text", "") + "".join(o.get("traceback", [])) for o in outputs)
    assert shown.strip() == "error: --epochs: expected a number above 0, got 0", shown


def test_not_in_a_kernel_here():
    assert not in_kernel()


def test_make_notebooks_writes_one_per_lesson_and_keeps_a_learners_edits(tmp_path):
    report = write_notebooks(tmp_path)
    written = sorted(p.stem for p in tmp_path.glob("*.ipynb"))
    assert written == [p.stem for p in lesson_files()] and len(written) == 9, report
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
    readme = (REPO_ROOT / "README.md").read_text()
    makefile = (REPO_ROOT / "Makefile").read_text()
    block = readme.split("### A lesson as a notebook", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make notebooks", "make lab"]
    assert "notebooks: $(STAMP)" in makefile and "-m course_utils.notebooks" in makefile
    # make lab writes the notebooks, then serves lessons/ (its flags: tests/test_make_installs.py)
    assert "lab: notebooks" in makefile and re.search(r"jupyter lab .*lessons/$", makefile, re.M)


def test_lessons_dir_is_the_repository_folder():
    assert Path(lesson.LESSONS_DIR) == REPO_ROOT / "lessons"
