"""Shared test set-up: the data root, a private runs folder, and output checks."""

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if "COURSE_DATA_DIR" not in os.environ and SHARED_DATA.is_dir():
    os.environ["COURSE_DATA_DIR"] = str(SHARED_DATA)

import course_utils  # noqa: E402,F401  (quiet logs before keras)


def data_required() -> bool:
    return bool(os.environ.get("COURSE_REQUIRE_DATA") or os.environ.get("CI"))


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The data root holding the real datasets; fails (never skips) on CI when it is missing."""
    root = Path(os.environ.get("COURSE_DATA_DIR", SHARED_DATA))
    if not (root / "README.md").is_file() and not any(root.glob("*/*")):
        message = f"real datasets not found at {root}; set COURSE_DATA_DIR"
        if data_required():
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture(autouse=True)
def private_runs(tmp_path, monkeypatch):
    """Every test writes its runs under its own temporary folder, never into runs/."""
    monkeypatch.setenv("COURSE_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


@pytest.fixture(scope="session", autouse=True)
def executed_notebooks(tmp_path_factory) -> Path:
    """The session's folder of lessons executed as notebooks (tests/notebook.py saves each one there), from which
    tests/test_site.py builds the site instead of running the lessons again. COURSE_EXECUTED_NOTEBOOKS, when set,
    names it (to reuse the notebooks of an earlier session)."""
    folder = Path(os.environ.get("COURSE_EXECUTED_NOTEBOOKS") or tmp_path_factory.mktemp("executed-notebooks"))
    os.environ["COURSE_EXECUTED_NOTEBOOKS"] = str(folder)
    return folder


def pytest_collection_modifyitems(config, items):
    """The site's test runs last, after every lesson's test has left its executed notebook (it sorts after
    test_lesson08.py anyway; this keeps it last when files are named in another order)."""
    items.sort(key=lambda item: item.path.name == "test_site.py")
