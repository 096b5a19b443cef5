"""--workers N: data-parallel training with MultiWorkerMirroredStrategy on N local worker processes."""

import time

import pytest

from course_utils import CourseError, distributed


def test_workers_get_their_tf_config_and_their_logs(tmp_path, capfd):
    assert distributed.launch("tests.worker_fixture", [["ok"], ["ok"], ["ok"]], tmp_path) == 0
    assert "worker 0 of 3" in capfd.readouterr().out
    assert (tmp_path / "worker-1.log").read_text().strip() == "worker 1 of 3"
    assert (tmp_path / "worker-2.log").read_text().strip() == "worker 2 of 3"


def test_a_worker_that_dies_stops_the_others_with_one_line(tmp_path):
    start = time.perf_counter()
    with pytest.raises(CourseError) as error:
        distributed.launch("tests.worker_fixture", [["dies"], ["dies"]], tmp_path)
    message = str(error.value)
    assert "worker 1 of 2 exited with status 3" in message and "the other workers were stopped" in message
    assert "\n" not in message and time.perf_counter() - start < 30  # worker 0 was not waited for


def test_outside_a_launch_there_is_one_process_and_the_default_strategy(monkeypatch):
    monkeypatch.delenv(distributed.WORKER_ENV, raising=False)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    assert distributed.worker_index() is None and distributed.is_chief() and distributed.worker_count() == 1
