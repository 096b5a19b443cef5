"""Unit tests of the shared plumbing: registry, checksums, extraction, offline errors, runs, CLI."""

import io
import json
import tarfile
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest

from course_utils import CourseError, data, plots, runs
from course_utils.repro import set_seed
from tests.helpers import InterruptAt, assert_png, tensorboard_scalars


# --- the dataset registry -------------------------------------------------------------------


def test_registry_entries_are_complete():
    for name, d in data.REGISTRY.items():
        assert d.name == name
        assert d.url.startswith(("http://", "https://")), name
        assert d.sha256 is None or len(d.sha256) == 64, name
        assert d.licence and d.citation and d.size, name


def test_registry_checksums_match_the_shared_copies(real_data):
    """Where our data root holds the official file itself, its checksum is the registry's."""
    listed = {}
    for line in (real_data / "SHA256SUMS").read_text().splitlines():
        sha, rel = line.split()
        listed[rel.removeprefix("./")] = sha
    for name in ("names", "tinyshakespeare", "ud_english_ewt_test"):
        entry = data.REGISTRY[name]
        assert listed[entry.path] == entry.sha256, name


@pytest.fixture
def data_root(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return root


def put(root: Path, relpath: str, content: bytes) -> Path:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_fetch_finds_a_file_under_the_data_root(data_root, monkeypatch):
    content = b"emma\nolivia\n"
    put(data_root, "names/names.txt", content)
    monkeypatch.setitem(data.REGISTRY, "names", _with_sha(data.REGISTRY["names"], content))
    assert data.fetch("names") == data_root / "names/names.txt"
    assert data.read_text("names") == "emma\nolivia\n"


def test_on_disk_means_its_file_or_extracted_folder_is_under_the_data_root(data_root):
    assert not data.on_disk("imdb") and not data.on_disk("tinyshakespeare")
    put(data_root, data.REGISTRY["tinyshakespeare"].path, b"First Citizen:\n")
    assert data.on_disk("tinyshakespeare")
    (data_root / data.REGISTRY["flickr8k_text"].extracted).mkdir(parents=True)
    assert data.on_disk("flickr8k_text"), "captions extracted under the root need no archive"
    assert not data.on_disk("imdb")


def _with_sha(entry, content, url=None):
    import dataclasses
    import hashlib

    return dataclasses.replace(entry, sha256=hashlib.sha256(content).hexdigest(), url=url or entry.url)


def test_a_corrupt_file_is_reported_by_its_checksum(data_root):
    put(data_root, "names/names.txt", b"definitely not the names file")
    with pytest.raises(CourseError, match="corrupt or incomplete.*names.txt"):
        data.fetch("names")


def test_a_data_roots_own_checksum_list_is_used(data_root):
    """A repacked archive (as in the course's shared data) is checked against the root's SHA256SUMS."""
    path = put(data_root, "imdb/aclImdb.tar.gz", b"repacked archive bytes")
    (data_root / "SHA256SUMS").write_text(f"{data.sha256_of(path)}  ./imdb/aclImdb.tar.gz\n")
    assert data.fetch("imdb") == path
    path.write_bytes(b"truncated")
    with pytest.raises(CourseError, match="corrupt"):
        data.fetch("imdb")


def test_offline_and_missing_names_the_url_and_where_to_put_it(data_root, monkeypatch):
    entry = data.REGISTRY["names"]
    monkeypatch.setitem(data.REGISTRY, "names", _with_sha(entry, b"x", url="http://127.0.0.1:9/names.txt"))
    with pytest.raises(CourseError) as err:
        data.fetch("names")
    message = str(err.value)
    assert "http://127.0.0.1:9/names.txt" in message
    assert str(data_root / "names/names.txt") in message
    assert "\n" not in message


def test_a_dataset_without_public_download_says_how_to_get_it(data_root):
    with pytest.raises(CourseError, match="cannot be downloaded automatically.*conll2003/eng.train"):
        data.fetch("conll2003_train")


def test_unknown_dataset():
    with pytest.raises(CourseError, match="unknown dataset"):
        data.fetch("mnist")


def _tar_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_safe_extract_unpacks_tar_and_zip(tmp_path):
    tar = put(tmp_path, "a.tar.gz", _tar_with({"top/pos/1.txt": b"great", "top/neg/2.txt": b"awful"}))
    out = data.safe_extract(tar, tmp_path / "out_tar")
    assert (out / "top/pos/1.txt").read_text() == "great"
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("fra.txt", "Go.\tVa !\n")
    assert (data.safe_extract(zpath, tmp_path / "out_zip") / "fra.txt").read_text() == "Go.\tVa !\n"


@pytest.mark.parametrize("evil", ["../escape.txt", "/tmp/absolute-escape.txt", "a/../../escape.txt"])
def test_safe_extract_refuses_paths_outside_the_target(tmp_path, evil):
    tar = put(tmp_path, "evil.tar.gz", _tar_with({"ok.txt": b"fine", evil: b"pwned"}))
    with pytest.raises(CourseError, match="outside"):
        data.safe_extract(tar, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "out").exists(), "a refused archive must leave nothing behind"


def test_zip_slip_is_refused(tmp_path):
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("../escape.txt", "pwned")
    with pytest.raises(CourseError, match="outside"):
        data.safe_extract(zpath, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_a_truncated_archive_is_reported(tmp_path):
    whole = _tar_with(
        {f"f{i}.txt": bytes(np.random.default_rng(i).integers(0, 255, 5000, dtype=np.uint8)) for i in range(5)}
    )
    tar = put(tmp_path, "cut.tar.gz", whole[: len(whole) // 2])
    with pytest.raises(CourseError, match="not a readable archive"):
        data.safe_extract(tar, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- run folders --------------------------------------------------------------------------------


def test_run_folders_are_new_per_run_and_named_by_cell(private_runs):
    first = runs.Run.start("lessonXX_demo", cell="gru")
    second = runs.Run.start("lessonXX_demo", cell="gru")
    assert first.path != second.path
    assert first.path.parent == private_runs / "lessonXX_demo"
    assert first.path.name.endswith("-gru")


def test_metrics_are_written_atomically_as_json(private_runs):
    run = runs.Run.start("lessonXX_demo")
    path = run.write_metrics({"accuracy": np.float32(0.75), "matrix": np.eye(2, dtype=int)}, epochs=2, seed=1)
    record = json.loads(path.read_text())
    assert record["accuracy"] == pytest.approx(0.75)
    assert record["matrix"] == [[1, 0], [0, 1]]
    assert record["epochs"] == 2 and record["backend"] == "tensorflow"
    assert not [p for p in run.path.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_metrics_record_each_phase_epoch_times_and_the_last_phase_later_epochs(tmp_path):
    x, y = np.random.default_rng(0).normal(size=(64, 4)), np.zeros((64, 1))
    run = runs.Run.start("lessonXX_demo", run_dir=tmp_path / "r")
    run.fit(_toy_model(), x, y=y, epochs=2, verbose=0, phase="baseline")
    run.fit(_toy_model(), x, y=y, epochs=4, verbose=0, phase="model")
    record = json.loads(run.write_metrics({}).read_text())
    assert [len(record["epoch_seconds"][p]) for p in ("baseline", "model")] == [2, 4]
    model_times = record["epoch_seconds"]["model"]
    assert record["first_epoch_seconds"] == model_times[0]
    assert record["later_epoch_seconds"] == pytest.approx(float(np.median(model_times[1:])), abs=0.01)
    assert runs.epoch_time_summary({"only": [3.0]})["later_epoch_seconds"] is None
    assert runs.epoch_time_summary({}) == {}


def test_a_run_folder_of_another_lesson_is_refused(tmp_path):
    runs.Run.start("lesson01_x", run_dir=tmp_path / "r")
    with pytest.raises(CourseError, match="belongs to lesson01_x"):
        runs.Run.start("lesson02_y", run_dir=tmp_path / "r")


def _toy_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_an_interrupted_run_resumes_from_its_last_epoch(tmp_path):
    x, y = np.random.default_rng(0).normal(size=(64, 4)), np.zeros((64, 1))
    run = runs.Run.start("lessonXX_demo", run_dir=tmp_path / "r")
    with pytest.raises(KeyboardInterrupt):
        run.fit(_toy_model(), x, y=y, epochs=5, verbose=0, callbacks=[InterruptAt(2)])
    resumed = runs.Run.start("lessonXX_demo", run_dir=tmp_path / "r")
    assert resumed.resumed
    trained = []
    started = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: trained.append(epoch))
    history = resumed.fit(_toy_model(), x, y=y, epochs=5, verbose=0, callbacks=[started])
    assert trained == [2, 3, 4], "epochs 1 and 2 were done before the interruption"
    assert history.epoch == [0, 1, 2, 3, 4] and len(history.history["loss"]) == 5, "the history covers all epochs"
    scalars = tensorboard_scalars(resumed.log_dir)
    assert sorted(set(scalars["train/epoch_loss"])) == [0, 1, 2, 3, 4]
    assert "train/epoch_epoch_time_s" in scalars
    [times] = json.loads(resumed.write_metrics({}).read_text())["epoch_seconds"].values()
    assert len(times) == 3, "the epochs of this session only: its first one builds the training step again"
    resumed.finish()
    assert not (resumed.path / "backup").exists()


def test_models_are_saved_atomically_and_loaded_with_clear_errors(tmp_path):
    run = runs.Run.start("lessonXX_demo", run_dir=tmp_path / "r")
    path = run.save_model(_toy_model())
    assert path.name == "model.keras"
    assert runs.load_model(path, "lessonXX_demo").count_params() == 5
    with pytest.raises(CourseError, match="trained by lessonXX_demo, not by lesson03"):
        runs.load_model(path, "lesson03")
    with pytest.raises(CourseError, match="does not exist"):
        runs.load_model(tmp_path / "missing.keras", "lessonXX_demo")
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CourseError, match="could not load"):
        runs.load_model(bad, "lessonXX_demo")
    with pytest.raises(CourseError, match="no trained model"):
        runs.newest_model("lesson99_none")


# --- seeds and plots ---------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_training():
    def train_once():
        set_seed(7)
        x = np.random.normal(size=(32, 5, 3)).astype("float32")
        model = keras.Sequential([keras.Input((5, 3)), keras.layers.GRU(4), keras.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        return model.fit(x, x[:, -1, :1], epochs=2, verbose=0).history["loss"]

    assert train_once() == train_once()


def test_plots_render_to_real_images(tmp_path):
    history = {
        "loss": [0.7, 0.5, 0.4],
        "val_loss": [0.72, 0.6, 0.55],
        "accuracy": [0.5, 0.7, 0.8],
        "val_accuracy": [0.5, 0.65, 0.7],
    }
    assert_png(plots.save(plots.training_curves(history), tmp_path / "curves.png"))
    matrix = np.array([[50, 10], [5, 35]])
    assert_png(
        plots.save(
            plots.heatmap(
                matrix, row_labels=["neg", "pos"], col_labels=["neg", "pos"], title="confusion", fmt="{:.0f}"
            ),
            tmp_path / "heat.png",
        )
    )
    series = {"rnn": (np.arange(1, 50), 0.9 ** np.arange(1, 50)), "lstm": (np.arange(1, 50), np.ones(49))}
    assert_png(plots.save(plots.line_plot(series, title="g", xlabel="d", ylabel="n", logy=True), tmp_path / "l.png"))
    text = "First Citizen:\nBefore we proceed any further, hear me speak."
    values = np.sin(np.arange(len(text)) / 5)
    assert_png(plots.save(plots.colored_text(text, values, title="unit 17"), tmp_path / "t.png"), min_side=60)


def test_time_budget_stops_before_an_epoch_would_overrun():
    x, y = np.zeros((64, 4)), np.zeros((64, 1))
    budget = runs.TimeBudget(max_minutes=1e-9)
    history = _toy_model().fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[budget])
    assert len(history.history["loss"]) == 1
    mid = runs.TimeBudget(max_minutes=1e-9, mid_epoch=True)
    batches = []
    counter = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    _toy_model().fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[counter, mid])
    assert len(batches) == 1, "stops inside the first epoch"
    unlimited = _toy_model().fit(x, y, epochs=3, verbose=0, callbacks=[runs.TimeBudget(max_minutes=0)])
    assert len(unlimited.history["loss"]) == 3


def test_bucketed_batches_cut_each_batch_to_its_longest_row_and_jax_to_a_few_lengths(monkeypatch):
    from course_utils import text

    rows = np.zeros((6, 40), dtype="int32")
    for i, n in enumerate([3, 5, 17, 18, 30, 33]):
        rows[i, :n] = 1
    batches = list(text.bucketed_batches((rows, np.arange(6)), 2, seed=None).as_numpy_iterator())
    assert [b[0].shape[1] for b in batches] == [5, 18, 33]
    assert [text.padded_length(n, 40) for n in (5, 17, 18, 33, 39)] == [16, 24, 24, 40, 40]
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert [text.batch_width(n, 40) for n in (5, 18, 33)] == [16, 24, 40]
