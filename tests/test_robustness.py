"""Issue #27, items 12a, 12d, 13, 14, 15, 16, 19 and 20: a binary checksum list and a binary run-folder marker
give one safe line; training that blows up stops before TensorBoard fails; a write error is named as one; an
extracted folder belongs to the archive it came from; a dataset cut short is refused; two runs never share a
folder; a --workers run says it cannot be resumed and leaves no scratch folder behind.

Everything here uses tiny files under a temporary folder (the shared data root is only read)."""

from __future__ import annotations

import errno
import hashlib
import io
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

import bench.__main__ as bench
from course_utils import REPO_ROOT, CourseError, data, distributed, runs
from course_utils.inputs import CONTROL
from course_utils.repro import set_seed

FRA_ENG = data.REGISTRY["anki_fra_eng"]
FLICKR_TEXT = data.REGISTRY["flickr8k_text"]
DEMO = "lessonXX_demo"


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return root


def one_safe_line(err: BaseException, *parts: str) -> str:
    message = str(err)
    assert "\n" not in message, message
    assert message.isprintable() and not CONTROL.search(message), f"control characters reach the terminal: {message!r}"
    for part in parts:
        assert part in message, f"{part!r} not in: {message}"
    return message


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def put(root: Path, relpath: str, content: bytes) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def subprocess_env(tmp_path: Path, **extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT), "COURSE_RUNS_DIR": str(tmp_path / "runs"), **extra}


# --- 12a: a data root's SHA256SUMS that is not a checksum list --------------------------------------------


@pytest.mark.parametrize(
    "listing, message",
    [
        (b"\x00\x01\x02\xff\xfe binary \x89PNG", "looks binary"),
        ("caf\xe9  ./names/names.txt\n".encode("latin-1"), "not UTF-8"),
        (b"\x1b[2Jnot-a-hash  ./names/names.txt\n", "looks binary"),
        (b"abc123  ./names/names.txt\n", "gives names/names.txt no sha256"),
    ],
)
def test_a_checksum_list_that_is_not_one_is_one_line(data_root, listing, message):
    put(data_root, "names/names.txt", b"emma\n")
    put(data_root, "SHA256SUMS", listing)
    with pytest.raises(CourseError) as err:
        data.fetch("names")
    one_safe_line(err.value, "SHA256SUMS", message, "repair or delete it")


def test_a_good_checksum_list_is_still_used(data_root):
    put(data_root, "names/names.txt", b"emma\n")
    put(data_root, "SHA256SUMS", f"{hashlib.sha256(b'emma').hexdigest().upper()}  ./names/names.txt\n".encode())
    with pytest.raises(CourseError, match="corrupt or incomplete"):
        data.fetch("names")
    good = hashlib.sha256(b"emma\n").hexdigest()
    put(data_root, "SHA256SUMS", f"{good} *names/names.txt\n".encode())
    assert data.fetch("names") == data_root / "names/names.txt"


# --- 12d: a run folder whose lesson.txt is binary -----------------------------------------------------------

HOSTILE = b"\x1b[2J\x1b[31mlesson03\x07\r\x9b\x00\xff"


def test_a_binary_run_folder_marker_is_shown_escaped(tmp_path):
    folder = tmp_path / "r"
    put(folder, "lesson.txt", HOSTILE)
    with pytest.raises(CourseError) as err:
        runs.Run.start(DEMO, run_dir=folder)
    one_safe_line(err.value, "belongs to '", "\\x1b", f"not {DEMO}")


def test_a_binary_marker_beside_a_model_is_shown_escaped(tmp_path):
    folder = tmp_path / "r"
    put(folder, "lesson.txt", HOSTILE)
    model = put(folder, "model.keras", b"PK")
    with pytest.raises(CourseError) as err:
        runs.load_model(model, DEMO)
    one_safe_line(err.value, "was trained by '", f"not by {DEMO}")


def test_settings_from_a_run_record_are_shown_escaped():
    message = runs._other_settings(Path("r"), {"cell": "\x1b[31mgru"}, {"cell": "lstm"})
    assert message.isprintable() and "\\x1b" in message


# --- 13: a loss that is huge but finite ---------------------------------------------------------------------


def tiny_classifier(learning_rate: float):
    set_seed(0)
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Embedding(20, 8), keras.layers.GRU(16), keras.layers.Dense(20)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def tokens():
    x = np.random.default_rng(0).integers(0, 20, size=(256, 6))
    return x, x[:, 0]


class Perplexity(keras.callbacks.Callback):
    """As a language lesson does: exp(loss), which overflows float32 long before the loss does."""

    def on_epoch_end(self, epoch, logs=None):
        logs["perplexity"] = math.exp(min(logs["loss"], 700.0))


def test_a_huge_but_finite_loss_stops_training_with_one_line(tmp_path):
    run = runs.Run.start(DEMO, run_dir=tmp_path / "r")
    x, y = tokens()
    with pytest.raises(CourseError) as err:
        run.fit(tiny_classifier(1e6), x, y=y, epochs=3, batch_size=16, verbose=0)
    message = one_safe_line(err.value, "training diverged: the loss became", "in epoch 1", "smaller learning rate")
    assert "nan" not in message and "inf" not in message, "finite: the stop did not wait for NaN"


def test_a_number_too_large_to_log_stops_training_before_tensorboard_fails(tmp_path):
    run = runs.Run.start(DEMO, run_dir=tmp_path / "r")
    x, y = tokens()
    with pytest.raises(CourseError) as err:  # loss in the hundreds: exp(loss) is beyond float32
        run.fit(tiny_classifier(10.0), x, y=y, epochs=3, batch_size=16, verbose=0, callbacks=[Perplexity()])
    one_safe_line(err.value, "training diverged: the perplexity became", "too large to log", "in epoch 1")


def test_a_sane_run_is_not_stopped(tmp_path):
    run = runs.Run.start(DEMO, run_dir=tmp_path / "r")
    x, y = tokens()
    history = run.fit(tiny_classifier(1e-2), x, y=y, epochs=2, batch_size=32, verbose=0, callbacks=[Perplexity()])
    assert len(history.history["loss"]) == 2 and history.history["perplexity"][-1] < 100


# --- 14: a write error while extracting or downloading is named as one ---------------------------------------


@pytest.mark.parametrize(
    "code, hint",
    [
        (errno.EFBIG, "ulimit -f"),
        (errno.ENOSPC, "free some space"),
        (errno.EDQUOT, "quota"),
        (errno.EROFS, "read-only"),
    ],
)
def test_a_write_error_while_extracting_is_not_blamed_on_the_archive(data_root, monkeypatch, code, hint):
    put(data_root, FRA_ENG.path, zip_bytes({"fra.txt": b"Go.\tVa !\n" * 100}))

    def cannot_write(source, target, length=0):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(shutil, "copyfileobj", cannot_write)  # what zipfile writes each member with
    with pytest.raises(CourseError) as err:
        data.extract("anki_fra_eng")
    message = one_safe_line(err.value, os.strerror(code), hint, "COURSE_CACHE_DIR", "not at fault")
    assert "not a readable archive" not in message and "download" not in message


def test_a_file_size_limit_while_extracting_is_named(data_root, tmp_path):
    """``ulimit -f 100`` with an empty cache, for real: the archive is fine, the limit is not."""
    put(data_root, FRA_ENG.path, zip_bytes({"fra.txt": b"Go.\tVa !\n" * 40_000}))  # 360 kB unpacked
    code = (
        "from course_utils import data, CourseError\n"
        "try:\n    data.extract('anki_fra_eng')\nexcept CourseError as e:\n    print(e)"
    )
    done = subprocess.run(
        ["bash", "-c", 'ulimit -f 100 && exec "$0" -c "$1"', sys.executable, code],
        cwd=REPO_ROOT,
        env=subprocess_env(tmp_path, COURSE_DATA_DIR=str(data_root), COURSE_CACHE_DIR=str(tmp_path / "cache")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert os.strerror(errno.EFBIG) in line and "ulimit -f" in line, line
    assert "not a readable archive" not in line and "download" not in line
    assert not list((tmp_path / "cache" / "datasets").glob("anki_fra_eng*")), "nothing half-extracted is left"


class FakeResponse(io.BytesIO):
    headers = {"Content-Length": "5"}


def test_a_write_error_while_downloading_is_named(data_root, monkeypatch):
    monkeypatch.setattr(data.urllib.request, "urlopen", lambda url, timeout: FakeResponse(b"emma\n"))

    class Full(io.RawIOBase):
        def __init__(self, *args, **kwargs):
            super().__init__()

        def writable(self):
            return True

        def write(self, block):
            raise OSError(errno.EFBIG, os.strerror(errno.EFBIG))

    monkeypatch.setattr(data, "open", Full, raising=False)
    with pytest.raises(CourseError) as err:
        data.fetch("names")
    message = one_safe_line(err.value, "could not write", os.strerror(errno.EFBIG), "ulimit -f", "COURSE_DATA_DIR")
    assert "could not be downloaded" not in message
    assert not (data_root / "names").exists() or not list((data_root / "names").iterdir())


# --- 15: an extracted folder belongs to the archive it came from ---------------------------------------------


def test_a_replaced_archive_is_extracted_again(data_root):
    archive = put(data_root, FRA_ENG.path, zip_bytes({"fra.txt": b"Wrong.\tFaux.\n"}, zipfile.ZIP_STORED))
    assert (data.extract("anki_fra_eng") / "fra.txt").read_bytes() == b"Wrong.\tFaux.\n"
    before = archive.stat()
    fresh = archive.with_name("new.zip")
    fresh.write_bytes(zip_bytes({"fra.txt": b"Right.\tJuste\n"}, zipfile.ZIP_STORED))  # the wrong one's size
    assert fresh.stat().st_size == before.st_size
    os.utime(fresh, ns=(before.st_atime_ns, before.st_mtime_ns))  # copied with its time kept (cp -p)
    os.replace(fresh, archive)
    folder = data.extract("anki_fra_eng")
    assert (folder / "fra.txt").read_bytes() == b"Right.\tJuste\n"
    assert not list(folder.parent.glob("anki_fra_eng.*-*")), "the old folder is deleted"
    os.utime(archive)  # touched, not changed: the folder is kept
    (folder / "mine.txt").write_text("kept")
    assert (data.extract("anki_fra_eng") / "mine.txt").is_file()


def test_a_folder_extracted_before_folders_had_a_record(data_root, tmp_path):
    put(data_root, FRA_ENG.path, zip_bytes({"fra.txt": b"Right\tJuste\n"}))
    cache = tmp_path / "cache" / "datasets" / "anki_fra_eng"
    put(cache, "fra.txt", b"Right\tJuste\n")
    put(cache, "mine.txt", b"kept")
    assert (data.extract("anki_fra_eng") / "mine.txt").is_file(), "it holds the archive's files: kept"
    shutil.rmtree(cache)
    put(cache, "fra.txt", b"Wrong.\n")  # from another archive
    assert (data.extract("anki_fra_eng") / "fra.txt").read_bytes() == b"Right\tJuste\n"


def flickr_text_files(token_lines: int = 40_460) -> dict[str, bytes]:
    photos = [f"{i:06d}_abc.jpg" for i in range(8_092)]
    token = "".join(f"{photos[n // 5]}#{n % 5}\tA dog runs on the grass .\n" for n in range(token_lines))
    return {
        "Flickr8k.token.txt": token.encode(),
        "Flickr_8k.trainImages.txt": "".join(f"{p}\n" for p in photos[:6000]).encode(),
        "Flickr_8k.devImages.txt": "".join(f"{p}\n" for p in photos[6000:7000]).encode(),
        "Flickr_8k.testImages.txt": "".join(f"{p}\n" for p in photos[7000:8000]).encode(),
    }


def test_a_wrong_flickr8k_text_zip_replaced_by_the_right_one_is_used(data_root):
    archive = put(data_root, FLICKR_TEXT.path, zip_bytes(flickr_text_files(token_lines=20_230)))
    with pytest.raises(CourseError) as err:
        data.extract("flickr8k_text")
    one_safe_line(err.value, "Flickr8k.token.txt has 20,230 lines", "40,460", FLICKR_TEXT.url)
    archive.write_bytes(zip_bytes({"__MACOSX/._x": b"", **flickr_text_files()}))
    folder = data.extract("flickr8k_text")
    assert len((folder / "Flickr8k.token.txt").read_text().splitlines()) == 40_460


# --- 16: what a dataset must contain --------------------------------------------------------------------------


@pytest.mark.parametrize("short", ["Flickr8k.token.txt", "Flickr_8k.testImages.txt"])
def test_a_flickr8k_file_cut_short_is_refused_in_one_line(data_root, short):
    folder = data_root / FLICKR_TEXT.extracted
    for name, content in flickr_text_files().items():
        put(folder, name, content[: len(content) // 2] if name == short else content)
    with pytest.raises(CourseError) as err:
        data.extract("flickr8k_text")
    one_safe_line(err.value, f"{short} has ", "cut short", FLICKR_TEXT.url)


def test_a_flickr8k_folder_without_its_captions_is_refused(data_root):
    put(data_root / FLICKR_TEXT.extracted, "readme.txt", b"hello")
    with pytest.raises(CourseError) as err:
        data.extract("flickr8k_text")
    one_safe_line(err.value, "has no Flickr8k.token.txt")


def test_lesson06s_loader_refuses_captions_cut_in_half(data_root):
    """The loader lesson 06 uses (text_folder, through data.extract) stops before it trains on half the photos."""
    from course_utils.lesson import definitions

    folder = data_root / FLICKR_TEXT.extracted
    for name, content in flickr_text_files().items():
        put(folder, name, content[: len(content) // 2] if name == "Flickr8k.token.txt" else content)
    with pytest.raises(CourseError, match="cut short"):
        definitions("lesson06_captioning").text_folder()


def test_the_shared_flickr8k_captions_pass(real_data, monkeypatch):
    if not (real_data / FLICKR_TEXT.extracted).is_dir():
        pytest.skip("no Flickr8k captions in the data root")
    monkeypatch.setenv("COURSE_DATA_DIR", str(real_data))
    assert data.extract("flickr8k_text") == real_data / FLICKR_TEXT.extracted


# --- 19: two runs never share a folder --------------------------------------------------------------------------


def test_run_folders_started_in_the_same_second_are_distinct(private_runs):
    found: list[Path] = []
    threads = [threading.Thread(target=lambda: found.append(runs.new_run_path(DEMO, "gru"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 8 and all(p.is_dir() for p in found)


def test_a_run_folder_in_use_by_another_process_is_refused(tmp_path):
    folder = tmp_path / "r"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom course_utils import runs\nruns.Run.start('lessonXX_demo', run_dir=sys.argv[1])\n"
            "print('ready', flush=True)\ntime.sleep(300)",
            str(folder),
        ],
        cwd=REPO_ROOT,
        env=subprocess_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert any(line.strip() == "ready" for line in iter(holder.stdout.readline, "")), "the first run started"
        with pytest.raises(CourseError) as err:
            runs.Run.start(DEMO, run_dir=folder)
        one_safe_line(err.value, "is in use by another run")
    finally:
        holder.kill()
        holder.wait()
    resumed = runs.Run.start(DEMO, run_dir=folder)  # the other run ended: the folder can be resumed
    assert resumed.resumed
    assert runs.Run.start(DEMO, run_dir=folder).path == folder, "this process may start it again (a notebook cell)"
    resumed.finish()


def test_the_same_bench_row_twice_at_once_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "ROW_LOCKS", tmp_path / "locks")
    monkeypatch.setattr(bench, "RESULTS_JSON", tmp_path / "results.json")
    ran = []
    monkeypatch.setattr(bench, "run_one", lambda lesson, entry: ran.append(entry["name"]))
    lesson, entries = next(iter(sorted(bench.BENCHMARKS.items())))
    with bench.claim_row(lesson, entries[0]["name"]):  # another bench is running this row
        assert bench.main([lesson, entries[0]["name"]]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "already being run by another bench" in err and str(os.getpid()) in err
    assert ran == [], "nothing was run"


def test_bench_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(bench.time, "time", lambda: 1_700_000_000.0)
    first, second = bench.new_run_dir("lesson03", "default"), bench.new_run_dir("lesson03", "default")
    assert first != second and first.is_dir() and second.is_dir() and second.name.endswith("-2")


# --- 20: --workers: Ctrl-C and scratch folders ------------------------------------------------------------------


@pytest.fixture
def own_temp(tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.delenv(distributed.WORKER_ENV, raising=False)
    return temp


def test_scratch_folders_are_named_by_worker_and_deleted_when_the_workers_end(own_temp, tmp_path):
    scratch = [distributed.scratch_run_dir() for _ in range(1, 3)]  # as launch_workers asks for them
    assert [Path(s).name.split("-")[1] for s in scratch] == ["worker1", "worker2"]
    argvs = [["ok"], *[["ok", "--run-dir", s] for s in scratch]]
    assert distributed.launch("tests.worker_fixture", argvs, tmp_path / "run") == 0
    assert not list(own_temp.iterdir()), "no course-worker folder is left in the temporary folder"


def test_scratch_folders_are_deleted_when_a_worker_fails(own_temp, tmp_path):
    scratch = distributed.scratch_run_dir()
    with pytest.raises(CourseError):
        distributed.launch("tests.worker_fixture", [["dies"], ["dies", "--run-dir", scratch]], tmp_path / "run")
    assert not list(own_temp.iterdir())


def test_ctrl_c_on_workers_says_the_run_cannot_be_resumed(tmp_path):
    temp = tmp_path / "temp"
    temp.mkdir()
    code = (
        "import sys\nfrom pathlib import Path\nfrom course_utils import distributed\n"
        "scratch = distributed.scratch_run_dir()\n"
        "sys.exit(distributed.launch('tests.worker_fixture', [['dies', '--run-dir', scratch]], Path(sys.argv[1])))"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "run")],
        cwd=REPO_ROOT,
        env=subprocess_env(tmp_path, TMPDIR=str(temp)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 120
        while "worker 0 of 1" not in parent.stdout.readline():  # worker 0 is up (it then waits forever)
            assert time.time() < deadline and parent.poll() is None
        parent.send_signal(signal.SIGINT)
        _, err = parent.communicate(timeout=60)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert parent.returncode == 130, err
    assert "cannot be resumed" in err and "without --run-dir" in err and "Traceback" not in err, err
    assert "to resume" not in err
    assert not list(temp.glob("course-worker*")), "the scratch folder is deleted"
