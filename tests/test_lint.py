"""`make lint` reaches every exercise check and stub, and `make format` still leaves the learner's files alone.

exercises/ruff.toml once excluded the learner's files by basename ("ex01a_*.py"), which also matched every
file in exercises/checks/ and exercises/source/: `ruff format --check` saw one file of 47 there.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ["exercises/checks", "exercises/source"]


def ruff(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def course_files():
    return sorted(str(p.relative_to(ROOT)) for folder in FOLDERS for p in (ROOT / folder).glob("*.py"))


def test_format_check_sees_every_exercise_check_and_stub():
    expected = course_files()
    assert len(expected) > 40  # the 26 checks (and their __init__.py) and the 26 stubs
    done = ruff("format", "--check", "--no-cache", *FOLDERS)
    assert done.returncode == 0, f"run `make format`:\n{done.stdout}{done.stderr}"
    counts = [int(n) for n in re.findall(r"(\d+) files? (?:already formatted|would be reformatted)", done.stdout)]
    assert sum(counts) == len(expected), done.stdout


def test_lint_check_sees_every_exercise_check_and_stub():
    shown = ruff("check", "--show-files", *FOLDERS)
    assert shown.returncode == 0, shown.stderr
    seen = sorted(str(Path(line).relative_to(ROOT)) for line in shown.stdout.split())
    assert seen == course_files()
    done = ruff("check", "--no-cache", *FOLDERS)
    assert done.returncode == 0, done.stdout + done.stderr


UNFORMATTED = "x = ( 1 )\n"


def test_only_the_learners_files_are_left_out_of_formatting(tmp_path):
    """The exclusions in exercises/ruff.toml, on a copy: a learner's answer, solution and backup are left out;
    a check or stub of the same name is not."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "exercises").mkdir()
    shutil.copy(ROOT / "exercises" / "ruff.toml", tmp_path / "exercises" / "ruff.toml")
    learner = [
        "exercises/ex01a_rnn_step.py",
        "exercises/quiz1_masked_gru.py",
        "exercises/solutions/ex01a_rnn_step.py",
        "exercises/.backup/ex01a_rnn_step.20260101-120000.py",
    ]
    course = [
        "exercises/runner.py",
        "exercises/checks/ex01a_rnn_step.py",
        "exercises/checks/quiz1_masked_gru.py",
        "exercises/source/ex01a_rnn_step.py",
        "exercises/source/quiz1_masked_gru.py",
    ]
    for name in learner + course:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(UNFORMATTED)
    done = ruff("format", "--check", "--no-cache", "--output-format", "concise", "exercises", cwd=tmp_path)
    flagged = sorted(re.findall(r"^(\S+\.py):\d+:\d+: ", done.stdout, flags=re.M))
    assert flagged == sorted(course), done.stdout + done.stderr


def exercise_imports(path: Path) -> set[str]:
    """The exercises.* modules a file imports, at its top or inside a function."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("exercises"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("exercises"))
    return found


def test_the_exercise_modules_import_no_circle():
    """checking.py (what the checks use) and runner.py (what runs them) once imported each other."""
    graph = {}
    for path in sorted((ROOT / "exercises").glob("*.py")) + sorted((ROOT / "exercises" / "checks").glob("*.py")):
        if path.parent.name == "exercises" and re.match(r"(ex\d\d[a-z]|quiz\d)_", path.name):
            continue  # a learner's answer
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        graph[name] = {m for m in exercise_imports(path) if m != name}

    def circle_from(module, trail):
        if module in trail:
            return trail[trail.index(module) :] + [module]
        for imported in sorted(graph.get(module, ())):
            found = circle_from(imported, trail + [module])
            if found:
                return found
        return None

    for module in graph:
        circle = circle_from(module, [])
        assert circle is None, " -> ".join(circle)
