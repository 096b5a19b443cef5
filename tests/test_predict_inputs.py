"""What predict is given (issue #27, items 10 and 11): bytes that are not UTF-8, and a model of another lesson,
each give one line and exit 2, never a traceback."""

import subprocess
import sys

import keras
import pytest

from course_utils import REPO_ROOT, CourseError
from course_utils.runs import Run, load_model
from tests.helpers import lesson_main


def predict(lesson: str, *args) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", f"lessons.{lesson}", "predict", *args]
    return subprocess.run(command, capture_output=True, cwd=REPO_ROOT, timeout=300)


@pytest.mark.parametrize("lesson", ["lesson03_sentiment", "lesson04_tagging", "lesson05_translation"])
def test_text_that_is_not_utf8_is_one_line(lesson, capsys):
    undecodable = b"\xff\xfe caf\xe9".decode("utf-8", "surrogateescape")  # what Python makes of such an argument
    assert lesson_main(lesson, ["predict", undecodable]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not UTF-8" in err, err


def test_a_real_command_line_with_such_bytes_is_one_line():
    done = predict("lesson03_sentiment", b"\xff\xfe caf\xe9")
    err = done.stderr.decode("utf-8", "replace").strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1 and "not UTF-8" in err, err


@pytest.fixture
def lesson07_model(tmp_path):
    run = Run.start("lesson07_char_lm", run_dir=tmp_path / "run")
    saved = run.save_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
    loose = tmp_path / "elsewhere" / "model.keras"  # copied away from its run folder and its lesson.txt
    loose.parent.mkdir()
    loose.write_bytes(saved.read_bytes())
    return loose


def test_a_model_of_another_lesson_says_whose_it_is(lesson07_model):
    assert load_model(lesson07_model, "lesson07_char_lm").count_params() == 8
    with pytest.raises(CourseError, match="trained by lesson07_char_lm, not by lesson04_tagging"):
        load_model(lesson07_model, "lesson04_tagging")


def test_predict_with_another_lessons_model_is_one_line(lesson07_model):
    done = predict("lesson04_tagging", "--model", str(lesson07_model), "A sentence .")
    err = done.stderr.decode().strip()
    assert done.returncode == 2 and len(err.splitlines()) == 1 and "lesson07_char_lm" in err, err
