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
