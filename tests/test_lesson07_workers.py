"""Lesson 07 with --workers 2: two MultiWorkerMirroredStrategy workers train the one-worker (stateless) model.

Also a worker program (``python -m tests.test_lesson07_workers shards``): each worker prints which windows
of the lesson's training batches it gets, to check that they split every batch between them.
"""

import json
import sys

import numpy as np
import pytest

from course_utils import distributed
from tests.helpers import one_and_two_worker_quick_runs, assert_two_workers_split_every_batch, read_metrics

LESSON = "lesson07_char_lm"


@pytest.fixture(scope="module")
def runs(real_data, tmp_path_factory):
    short = ("--epochs", "1", "--sample-length", "20", "--neuron-chars", "1000")
    return one_and_two_worker_quick_runs(LESSON, tmp_path_factory.mktemp("workers"), *short)


def test_two_workers_train_the_one_worker_model_within_noise(runs):
    one, two, out = runs
    assert "Starting 2 workers" in out
    single, double = read_metrics(one), read_metrics(two)
    assert single["strategy"] is None and single["workers"] == 1
    assert double["strategy"] == "MultiWorkerMirroredStrategy" and double["workers"] == 2
    assert double["batch_size"] == single["batch_size"] == 32, "the global batch stays --batch-size"
    assert double["steps_per_epoch"] == single["steps_per_epoch"]
    for key in ("val_loss_nats", "val_loss_windows_nats", "val_loss_fresh_256"):
        assert abs(double[key] - single[key]) < 0.05, key
    assert abs(double["history"]["val_loss"][0] - single["history"]["val_loss"][0]) < 0.05


def test_every_worker_ran_the_same_steps(runs):
    _, two, _ = runs
    log = (two / "worker-1.log").read_text()
    history = read_metrics(two)["history"]
    for loss in history["val_loss"]:  # the workers' copies agree: the same validation loss each epoch
        assert f"val_loss: {loss:.4f}" in log
    assert "Fresh windows of 256:" in log, "worker 1 evaluated too, on its own copy"


def test_the_workers_split_every_batch(tmp_path, capfd):
    assert distributed.launch("tests.test_lesson07_workers", [["shards"], ["shards"]], tmp_path) == 0
    assert_two_workers_split_every_batch(capfd.readouterr().out, tmp_path / "worker-1.log")


def _print_shards():
    """As a worker: the window numbers in this worker's part of the lesson's first training batches."""
    strategy = distributed.strategy()
    from course_utils.lesson import definitions

    lesson = definitions(LESSON)
    seq_len, windows = 4, 640
    ids = np.arange(windows * seq_len + 1, dtype="int32")  # window i starts with id i * seq_len
    dataset = distributed.shard_by_data(
        lesson.stateless_windows(ids, seq_len, batch_size=64, seed=0)
    )  # as run.fit does
    for x, _ in strategy.experimental_distribute_dataset(dataset):
        local = strategy.experimental_local_results(x)[0].numpy()
        print("SHARD " + json.dumps((local[:, 0] // seq_len).tolist()), flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["shards"]:
    _print_shards()
