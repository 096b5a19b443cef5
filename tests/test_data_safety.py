"""Data and the learner's files (issue 14): downloads that time out, damaged archives, two runs
extracting the same archive at once, state files read back, and `make format`/`make clean`
leaving the learner's files alone. Everything here uses tiny files under a temporary folder."""

import contextlib
import dataclasses
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from course_utils import REPO_ROOT, CourseError, data

FRA_ENG = data.REGISTRY["anki_fra_eng"]


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return root


def assert_one_line(err: BaseException, *parts: str) -> str:
    message = str(err)
    assert "\n" not in message, message
    for part in parts:
        assert part in message, f"{part!r} not in: {message}"
    return message


# --- downloads -----------------------------------------------------------------------------------


@contextlib.contextmanager
def local_server(reply: bytes | None, close_after_reply: bool = False, hold_s: float = 20.0):
    """A server on 127.0.0.1 that accepts connections, reads the request and sends ``reply``
    (None: nothing at all), then holds the connection open unanswered (or closes it). It stops by
    itself after ``hold_s`` seconds, and when the test is done with it."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve():
        deadline = time.monotonic() + hold_s
        held = []
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(2)
            held.append(conn)
            if reply is not None:
                with contextlib.suppress(OSError):
                    conn.recv(65536)  # the request
                    conn.sendall(reply)
                if close_after_reply:
                    conn.close()
        for conn in held:
            conn.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(5)


def http_reply(body: bytes, length: int | None = None) -> bytes:
    length = len(body) if length is None else length
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % length + body


@pytest.fixture
def names_from(monkeypatch):
    """Point dataset "names" at a URL (and a checksum of ``body``); downloads give up after 1 s."""
    for proxy in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setattr(data, "DOWNLOAD_TIMEOUT_S", 1, raising=False)

    def point(url: str, body: bytes = b"emma\n"):
        entry = dataclasses.replace(data.REGISTRY["names"], url=url, sha256=hashlib.sha256(body).hexdigest())
        monkeypatch.setitem(data.REGISTRY, "names", entry)
        return entry

    return point


def fetch_within(name: str, seconds: float):
    """``data.fetch(name)`` in a thread: (path, None) or (None, error); fails if it takes longer."""
    box: dict = {}

    def work():
        try:
            box["path"] = data.fetch(name)
        except BaseException as err:  # reported to the test below
            box["error"] = err

    worker = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still downloading after {seconds} s: a download needs a timeout"
    return box.get("path"), box.get("error"), time.monotonic() - started


def no_leftovers(folder: Path) -> None:
    left = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    assert not left, f"a failed download left {left} in {folder}"


def test_a_download_that_is_never_answered_ends_with_the_offline_line(data_root, names_from):
    with local_server(reply=None) as base:
        url = f"{base}/names.txt"
        names_from(url)
        path, err, seconds = fetch_within("names", 10)
    assert path is None and isinstance(err, CourseError), err
    assert_one_line(err, url, str(data_root / "names/names.txt"), "no answer", "could not be downloaded")
    assert seconds < 10
    no_leftovers(data_root / "names")


def test_a_download_that_stalls_halfway_ends_too_and_leaves_no_partial_file(data_root, names_from):
    with local_server(reply=http_reply(b"emma\n", length=100_000)) as base:
        url = f"{base}/names.txt"
        names_from(url)
        path, err, _ = fetch_within("names", 10)
    assert isinstance(err, CourseError), err
    assert_one_line(err, url, str(data_root / "names/names.txt"))
    no_leftovers(data_root / "names")


def test_a_download_cut_short_leaves_no_partial_file(data_root, names_from):
    with local_server(reply=http_reply(b"emma\n", length=100_000), close_after_reply=True) as base:
        names_from(f"{base}/names.txt")
        path, err, _ = fetch_within("names", 10)
    assert isinstance(err, CourseError), err
    assert_one_line(err, f"{base}/names.txt", str(data_root / "names/names.txt"))
    no_leftovers(data_root / "names")


def test_a_download_with_the_wrong_checksum_is_not_kept(data_root, names_from):
    with local_server(reply=http_reply(b"not the names\n"), close_after_reply=True) as base:
        names_from(f"{base}/names.txt", body=b"emma\n")
        path, err, _ = fetch_within("names", 10)
    assert isinstance(err, CourseError), err
    assert_one_line(err, "corrupt", f"{base}/names.txt")
    no_leftovers(data_root / "names")


def test_a_good_download_lands_where_the_data_root_says(data_root, names_from):
    body = b"emma\nolivia\n"
    with local_server(reply=http_reply(body), close_after_reply=True) as base:
        names_from(f"{base}/names.txt", body=body)
        path, err, _ = fetch_within("names", 10)
    assert err is None and path == data_root / "names/names.txt"
    assert path.read_bytes() == body
    assert sorted(p.name for p in path.parent.iterdir()) == ["names.txt"], "temporary files left behind"


def test_a_download_reports_its_progress_through_the_course_bar(data_root, names_from, monkeypatch):
    """Every block received moves the bar (course_utils.progress: drawn on a terminal and in a notebook only)."""
    body = b"emma\n" * 60_000  # 300 kB: several blocks
    bars = []

    class Bar:
        def __init__(self, iterable=None, total=None, what="", **kwargs):
            self.total, self.what, self.updates = total, what, []
            bars.append(self)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            self.updates.append(n)

    monkeypatch.setattr(data, "progress", Bar)
    with local_server(reply=http_reply(body), close_after_reply=True) as base:
        names_from(f"{base}/names.txt", body=body)
        path, err, _ = fetch_within("names", 10)
    assert err is None and path.read_bytes() == body
    [bar] = bars
    assert bar.what == "names" and bar.total == len(body)
    assert len(bar.updates) > 1 and sum(bar.updates) == len(body)


# --- archives: damaged, and extracted twice at once -----------------------------------------------


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


GOOD_FRA = zip_bytes({"fra.txt": b"Go.\tVa !\tCC-BY\n" * 200, "_about.txt": b"Tatoeba"})


def damaged(kind: str) -> bytes:
    if kind == "html":  # what a captive portal or an error page saves under the archive's name
        return b"<html><body>404 Not Found</body></html>\n"
    if kind == "empty":
        return b""
    if kind == "truncated":
        return GOOD_FRA[: len(GOOD_FRA) // 2]
    if kind == "bad-member":  # the zip's structure is intact, a member's compressed bytes are not
        raw = bytearray(zip_bytes({"fra.txt": os.urandom(4000) + b"Go.\tVa !\n" * 500}))
        start = raw.index(b"fra.txt") + len("fra.txt") + 50
        raw[start : start + 400] = bytes(400)
        return bytes(raw)
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["html", "empty", "truncated", "bad-member"])
def test_a_broken_fra_eng_zip_says_where_to_get_a_good_one_in_one_line(data_root, tmp_path, kind):
    archive = data_root / FRA_ENG.path
    archive.parent.mkdir(parents=True)
    archive.write_bytes(damaged(kind))
    with pytest.raises(CourseError) as err:
        data.extract("anki_fra_eng")
    assert_one_line(err.value, str(archive), FRA_ENG.url, "not a readable archive")
    cache = tmp_path / "cache" / "datasets"
    assert not [p for p in cache.glob("anki_fra_eng*") if p.is_dir()], "a failed extraction left a folder"
    archive.write_bytes(GOOD_FRA)  # a good copy put where the line said
    assert (data.extract("anki_fra_eng") / "fra.txt").is_file()


def test_lesson05_on_a_broken_fra_eng_zip_prints_one_line(data_root, tmp_path, capsys):
    from tests.helpers import lesson_main as main
    from tests.helpers import assert_one_line_error

    archive = data_root / FRA_ENG.path
    archive.parent.mkdir(parents=True)
    archive.write_bytes(damaged("html"))
    argv = ["--quick", "--run-dir", str(tmp_path / "run")]
    err = assert_one_line_error(lambda a: main("lesson05_translation", a), argv, capsys, FRA_ENG.url)
    assert str(archive) in err


EXTRACT_WHEN_TOLD = """
import sys, time
from pathlib import Path
from course_utils import data
go = Path(sys.argv[1])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
print(data.extract("anki_fra_eng"), flush=True)
"""


def test_two_first_extractions_at_once_both_succeed(data_root, tmp_path):
    """Two runs of lesson05 started together both unpack fra-eng.zip for the first time."""
    many = {f"extra/{i:04d}.txt": f"line {i}\n".encode() * 20 for i in range(1500)}  # takes a while to unpack
    archive = data_root / FRA_ENG.path
    archive.parent.mkdir(parents=True)
    archive.write_bytes(zip_bytes({"fra.txt": b"Go.\tVa !\n", **many}))
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", EXTRACT_WHEN_TOLD, str(go)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for run in runs:
            assert run.stdout.readline().strip() == "ready"
        go.touch()  # both start extracting within a millisecond or two
        results = [run.communicate(timeout=120) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    expected = tmp_path / "cache" / "datasets" / "anki_fra_eng"
    for run, (out, err) in zip(runs, results):
        assert run.returncode == 0, err
        assert "corrupt" not in err and "not a readable archive" not in err, err
        assert out.strip().splitlines()[-1] == str(expected)
    assert (expected / "fra.txt").read_bytes() == b"Go.\tVa !\n"
    assert len(list((expected / "extra").iterdir())) == len(many)
    assert not list(expected.parent.glob("anki_fra_eng.part-*")), "temporary folders left behind"


def test_a_folder_left_by_a_killed_extraction_is_cleared(data_root, tmp_path):
    archive = data_root / FRA_ENG.path
    archive.parent.mkdir(parents=True)
    archive.write_bytes(GOOD_FRA)
    stale = tmp_path / "cache" / "datasets" / "anki_fra_eng.part-killed"
    stale.mkdir(parents=True)
    (stale / "fra.txt").write_bytes(b"half")
    assert (data.extract("anki_fra_eng") / "fra.txt").read_bytes() == zipfile.ZipFile(archive).read("fra.txt")
    assert not stale.exists()


# --- the course's own state files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "progress, hints",
    [
        ('{"ex01a_rnn_step": "passed"', '{"ex01a_rnn_st'),  # cut in half
        ("[]", "null"),  # valid JSON of the wrong shape
        ("{}", '{"ex01a_rnn_step": -7}'),  # a hint count that is no count
        ("\x00\xff", '{"ex01a_rnn_step": "two"}'),
    ],
)
def test_a_damaged_exercise_state_is_ignored_and_replaced(tmp_path, capsys, progress, hints):
    from exercises.__main__ import main

    state = tmp_path / ".state"
    state.mkdir()
    (state / "progress.json").write_text(progress, encoding="utf-8", errors="surrogateescape")
    (state / "hints.json").write_text(hints, encoding="utf-8")
    assert main(["list", "--dir", str(tmp_path)]) == 0
    assert main(["hint", "ex01a", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ex01a_rnn_step, hint 1 of" in out
    assert json.loads((state / "hints.json").read_text()) == {"ex01a_rnn_step": 1}
    assert sorted(p.name for p in state.iterdir()) == ["hints.json", "progress.json"], "temporary files left"


def test_a_damaged_bench_table_stops_the_bench_in_one_line_and_is_kept(tmp_path, monkeypatch, capsys):
    import bench.__main__ as bench

    results = tmp_path / "results.json"
    results.write_text('[{"lesson": "lesson03_sentiment", "name": "def')
    monkeypatch.setattr(bench, "RESULTS_JSON", results)
    monkeypatch.setattr(bench, "RESULTS_MD", tmp_path / "results.md")
    monkeypatch.setattr(bench, "run_one", lambda *a: pytest.fail("the bench ran with an unreadable table"))
    assert bench.main(["lesson03"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(results) in err, err
    assert results.read_text() == '[{"lesson": "lesson03_sentiment", "name": "def', "the old results were lost"
    results.write_text('{"not": "rows"}')
    with pytest.raises(CourseError, match="unreadable"):
        bench.read_results(results)


# --- course commands never rewrite the learner's files -----------------------------------------------

LINT_FIXABLE = "import os\n\n\nclass Answer(object):\n    value=1  \n\n\ndef f(x):\n    return  x\n"
NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": [LINT_FIXABLE]}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
    "nbformat": 4,
    "nbformat_minor": 5,
}


def course_copy(tmp_path: Path) -> tuple[Path, dict[Path, bytes]]:
    """A folder laid out like the course (its ruff settings, no git) holding learner files that
    ruff would change, and one course file that it should."""
    root = tmp_path / "course"
    for folder in ("course_utils", "lessons", "tests", "bench", "exercises/solutions", "exercises/.backup", "runs"):
        (root / folder).mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    shutil.copy2(REPO_ROOT / "exercises" / "ruff.toml", root / "exercises" / "ruff.toml")
    learners = {
        root / "exercises" / "ex01a_rnn_step.py": LINT_FIXABLE.encode(),
        root / "exercises" / "quiz1_masked_gru.py": LINT_FIXABLE.encode(),
        root / "exercises" / "solutions" / "ex01a_rnn_step.py": LINT_FIXABLE.encode(),
        root / "exercises" / ".backup" / "ex01a_rnn_step.20250101-120000.py": LINT_FIXABLE.encode(),
        root / "lessons" / "lesson01_rnn_from_scratch.ipynb": json.dumps(NOTEBOOK, indent=1).encode(),
    }
    for path, content in learners.items():
        path.write_bytes(content)
    (root / "exercises" / "runner.py").write_text(LINT_FIXABLE)  # the course's own code: ruff may fix it
    return root, learners


def run_make(root: Path, target: str) -> subprocess.CompletedProcess:
    venv = Path(sys.prefix)
    if shutil.which("make") is None or not (venv / "bin" / "ruff").is_file():
        pytest.skip("needs make and ruff in the course's virtual environment")
    stamp = venv / ".installed"
    command = ["make", "-s", "-C", str(root), "-f", str(REPO_ROOT / "Makefile"), f"VENV={venv}", "-o", str(stamp)]
    return subprocess.run([*command, target], capture_output=True, text=True, timeout=120)


def test_make_format_leaves_the_learners_files_alone(tmp_path):
    root, learners = course_copy(tmp_path)
    done = run_make(root, "format")
    assert done.returncode == 0, done.stdout + done.stderr
    for path, content in learners.items():
        assert path.read_bytes() == content, f"make format rewrote the learner's {path.relative_to(root)}"
    runner = (root / "exercises" / "runner.py").read_text()
    assert "class Answer:" in runner and "value = 1\n" in runner, "make format no longer formats the course's code"


def test_make_clean_keeps_the_learners_files(tmp_path):
    root, learners = course_copy(tmp_path)
    (root / "runs" / "old-run").mkdir()
    done = run_make(root, "clean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (root / "runs").exists()
    for path, content in learners.items():
        assert path.is_file() and path.read_bytes() == content, f"make clean removed {path.relative_to(root)}"


def test_files_the_course_writes_get_ordinary_permissions(tmp_path):
    """mkstemp makes private files; a cache or a run folder may be shared, so the result is readable."""
    import os
    import stat

    from course_utils.atomic import current_umask, write_atomic

    target = tmp_path / "metrics.json"
    write_atomic(target, "{}\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~current_umask()
    assert os.access(target, os.R_OK)
