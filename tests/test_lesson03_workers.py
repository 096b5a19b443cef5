"""Lesson 03 with --workers 2: two MultiWorkerMirroredStrategy workers train the one-worker model.

Also a worker program (``python -m tests.test_lesson03_workers shards``): each worker prints which
reviews of the lesson's training batches it gets, to check that they split every batch between them.
"""

import json
import sys

import numpy as np
import pytest

from course_utils import distributed
from tests.helpers import one_and_two_worker_quick_runs, assert_two_workers_split_every_batch, read_metrics

LESSON = "lesson03_sentiment"


@pytest.fixture(scope="module")
def runs(real_data, tmp_path_factory):
    return one_and_two_worker_quick_runs(
        LESSON, tmp_path_factory.mktemp("workers"), "--epochs", "1", "--vocab-size", "5000", "--sequence-length", "300"
    )


def test_two_workers_train_the_one_worker_model_within_noise(runs):
    one, two, out = runs
    assert "Starting 2 workers" in out
    single, double = read_metrics(one), read_metrics(two)
    assert single["strategy"] is None and single["workers"] == 1
    assert double["strategy"] == "MultiWorkerMirroredStrategy" and double["workers"] == 2
    assert double["batch_size"] == single["batch_size"] == 64, "the global batch stays --batch-size"
    assert abs(double["test_accuracy"] - single["test_accuracy"]) < 0.05
    assert abs(double["history"]["val_accuracy"][0] - single["history"]["val_accuracy"][0]) < 0.05


def test_every_worker_ran_the_same_steps(runs):
    _, two, _ = runs
    log = (two / "worker-1.log").read_text()
    history = read_metrics(two)["history"]
    for accuracy in history["val_accuracy"]:  # the workers' copies agree: the same averaged numbers each epoch
        assert f"val_accuracy: {accuracy:.4f}" in log
    assert "Test accuracy (1,000 reviews)" in log, "worker 1 evaluated too, on its own copy"


def test_the_workers_split_every_batch(tmp_path, capfd):
    assert distributed.launch("tests.test_lesson03_workers", [["shards"], ["shards"]], tmp_path) == 0
    assert_two_workers_split_every_batch(capfd.readouterr().out, tmp_path / "worker-1.log")


def _print_shards():
    """As a worker: the review numbers in this worker's part of the lesson's first training batches (the lesson's
    bucketed batches, split as run.fit splits them)."""
    from course_utils.text import bucketed_batches

    strategy = distributed.strategy()
    rows = 640
    ids = np.zeros((rows, 20), dtype="int32")
    ids[:, 0] = np.arange(1, rows + 1)  # review i starts with word i + 1, then up to 18 more words
    ids[:, 1:] = (np.arange(1, 20)[None, :] <= np.arange(rows)[:, None] % 19) * 7
    batches = distributed.shard_by_data(bucketed_batches((ids, np.arange(rows, dtype="int32")), 64, seed=1337))
    for x, _ in strategy.experimental_distribute_dataset(batches):
        local = strategy.experimental_local_results(x)[0].numpy()
        print("SHARD " + json.dumps((local[:, 0] - 1).tolist()), flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["shards"]:
    _print_shards()
