"""The runner's guard against changing the caller's arguments in place, located messages, how `make check` fails.

Like tests/test_exercises.py, nothing here reads or writes the learner's own files in exercises/:
wrong answers are written into a temporary folder, and `make` runs in a temporary copy.
"""

import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from course_utils import REPO_ROOT
from exercises import all_exercises
from exercises.checking import CheckFailed, Learner, expect_close, expect_equal
from exercises.runner import FAILED, NOT_DONE, PASSED, run_check

BY_ID = {e.id: e for e in all_exercises()}


def write_variant(folder, exercise, old, new):
    """The reference solution with its last ``old`` (the code, not the docstring) replaced by ``new``."""
    source = exercise.solution_text()
    assert old in source, f"the solution of {exercise.id} no longer contains {old!r}; update this test"
    before, _, after = source.rpartition(old)
    exercise.file_in(folder).write_text(before + new + after)


# (exercise id, text in the solution, an answer that gives the right values but changes its input, phrases)
IN_PLACE = [
    (
        "ex07a",
        "    scaled = logits / temperature\n    e = np.exp(scaled - scaled.max())\n",
        "    logits /= temperature\n    e = np.exp(logits - logits.max())\n",
        [
            "temperature_probs changed the logits array it was given (argument `logits`) in place",
            "`logits = logits * ...`, not `logits *= ...`",
        ],
    ),
    (
        "ex01a",
        "return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)",
        "b_h += W_hh @ h_prev + W_xh @ x\n    return np.tanh(b_h)",
        ["rnn_step changed the b_h array it was given (argument `b_h`) in place", "elements changed"],
    ),
    (
        "ex01b",
        "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n        states.append(h)\n",
        "        h[:] = rnn_step(x, h, W_xh, W_hh, b_h)  # the caller's h0 when one is given\n"
        "        states.append(h.copy())\n",
        ["rnn_forward changed the h0 array it was given (argument `h0`) in place"],
    ),
    (
        "ex01c",
        "da = dh * (1 - h**2)",
        "dh *= 1 - h**2\n    da = dh",
        ["rnn_step_backward changed the dh array it was given (argument `dh`) in place"],
    ),
    (
        "ex02a",
        "c = f * c_prev + i * g",
        "c_prev *= f\n    c = c_prev + i * g",
        ["lstm_step changed the c_prev array it was given (argument `c_prev`) in place"],
    ),
    (
        "ex04c",
        '    converted = []\n    previous_type = ""\n    for tag in tags:\n',
        '    converted = tags\n    previous_type = ""\n    for i, tag in enumerate(list(tags)):\n',
        ["iob1_to_iob2 changed the tags list it was given (argument `tags`) in place", "Build a new list"],
    ),
    (
        "ex04b",
        'for i, tag in enumerate(list(tags) + ["O"]):',
        'tags.append("O")\n    for i, tag in enumerate(tags):',
        ["iob_to_spans changed the tags list it was given (argument `tags`) in place", "items and now has"],
    ),
    (
        "ex05c",
        "log_probs = np.array(log_probs, dtype=np.float64)",
        "log_probs = np.asarray(log_probs, dtype=np.float64)",
        ["beam_step changed the log_probs array it was given (argument `log_probs`) in place"],
    ),
    (
        "ex08b",
        "    scaled = {name: (np.asarray(rows, dtype=np.float64) - mean) / std for name, rows in splits.items()}\n",
        "    scaled = {}\n    for name, rows in splits.items():\n        rows -= mean\n        rows /= std\n"
        "        scaled[name] = rows\n",
        ["standardise changed the array splits['train'] it was given (inside argument `splits`) in place"],
    ),
    (
        "ex09b",
        "    return a1 * a2, a2 * b1 + b2\n",
        "    a1 *= a2  # the caller's array\n    return a1, a2 * b1 + b2\n",
        ["combine changed the array first[0] it was given (inside argument `first`) in place"],
    ),
]


@pytest.mark.parametrize("ex_id, old, new, phrases", IN_PLACE, ids=[f"{w[0]}-{i}" for i, w in enumerate(IN_PLACE)])
def test_an_answer_that_changes_its_input_in_place_is_rejected_naming_the_argument(tmp_path, ex_id, old, new, phrases):
    exercise = BY_ID[ex_id]
    write_variant(tmp_path, exercise, old, new)
    outcome = run_check(exercise, exercise.file_in(tmp_path))
    assert outcome.status == FAILED, outcome.message
    assert outcome.message.startswith("case: "), outcome.message
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message


def test_ex04c_in_place_message_names_the_tag_that_changed(tmp_path):
    exercise = BY_ID["ex04c"]
    write_variant(
        tmp_path,
        exercise,
        '    converted = []\n    previous_type = ""\n    for tag in tags:\n',
        '    previous_type = ""\n    for i, tag in enumerate(tags):\n',
    )
    source = exercise.file_in(tmp_path).read_text()
    source = source.replace("        converted.append(tag)\n", "        tags[i] = tag\n")
    exercise.file_in(tmp_path).write_text(source.replace("return converted", "return tags"))
    outcome = run_check(exercise, exercise.file_in(tmp_path))
    assert outcome.status == FAILED, outcome.message
    assert "changed the tags list it was given (argument `tags`)" in outcome.message, outcome.message
    assert "was 'I-" in outcome.message and "is now 'B-" in outcome.message, outcome.message


def test_working_on_a_copy_of_the_input_passes(tmp_path):
    exercise = BY_ID["ex07a"]
    write_variant(
        tmp_path,
        exercise,
        "    scaled = logits / temperature\n    e = np.exp(scaled - scaled.max())\n",
        "    scaled = np.array(logits, dtype=np.float64)  # a copy: changing it is fine\n"
        "    scaled /= temperature\n    e = np.exp(scaled - scaled.max())\n",
    )
    outcome = run_check(exercise, exercise.file_in(tmp_path))
    assert outcome.status == PASSED, outcome.message


class Module:
    """A stand-in for a learner's module, holding the functions given."""

    def __init__(self, **functions):
        self.__dict__.update(functions)


def learner_with(**functions):
    return Learner(Module(**functions), REPO_ROOT / "exercises" / "ex99z_example.py")


def test_guard_names_nested_arguments_and_leaves_rngs_models_and_allowed_arguments_alone():
    def scale(grads, factor, rng=None, step=None):
        grads[1] *= factor
        return grads

    learner = learner_with(scale=scale)
    with pytest.raises(CheckFailed) as verdict:
        learner.call("scale", [np.ones(2), np.ones(3)], 2.0, case="two arrays")
    message = str(verdict.value)
    assert message.startswith("case: two arrays\n")
    assert "scale changed the array grads[1] it was given (inside argument `grads`) in place" in message
    assert "element [0] was 1 and is now 2" in message

    def draw(values, rng, step):
        rng.random()  # a Generator is consumed by design, a function may keep its own state
        step.calls.append(1)
        return values * 2

    def step():
        pass

    step.calls = []
    got = learner_with(draw=draw).call("draw", np.ones(2), np.random.default_rng(0), step)
    assert np.array_equal(got, [2.0, 2.0])

    def fill(buffer, mapping):
        buffer[:] = 0.0
        mapping["seen"] = True

    learner = learner_with(fill=fill)
    learner.call("fill", np.ones(3), {}, mutable=("buffer", "mapping"))
    with pytest.raises(CheckFailed, match=r"changed the mapping dict it was given \(argument `mapping`\)"):
        learner.call("fill", np.ones(3), {}, mutable=("buffer",))


def test_an_unchanged_nan_and_a_returned_input_are_not_changes():
    def same(values, tags):
        return values, tags

    values, tags = np.array([np.nan, 1.0]), ["B-PER", "I-PER"]
    got = learner_with(same=same).call("same", values, tags)
    assert got[0] is values and got[1] is tags


def test_value_messages_locate_the_difference_by_named_axes():
    expected = np.zeros((3, 4))
    got = expected.copy()
    got[1, 2] = 1.0
    got[2, 0] = 1.0
    with pytest.raises(CheckFailed) as verdict:
        expect_close(got, expected, "the states", case="two sentences", axes=("sentence", "time step"))
    lines = str(verdict.value).splitlines()
    assert lines[0] == "case: two sentences"
    assert lines[1].startswith("the states has the right shape (3, 4) but wrong values: 2 of 12 elements differ")
    assert lines[2] == "first difference at index [1, 2] (sentence 1, time step 2): expected 0, got 1"
    assert lines[3] == "wrong in sentence 1, 2 (2 of 3); the others are right"

    with pytest.raises(CheckFailed) as verdict:  # without axes: the message as before
        expect_close(got, expected, "the states")
    assert "first difference at index [1, 2]: expected 0, got 1" in str(verdict.value)
    assert "wrong in" not in str(verdict.value)

    with pytest.raises(CheckFailed) as verdict:
        expect_equal(
            [["B-PER", "I-PER"], ["O", "B-LOC"]],
            [["B-PER", "I-PER"], ["O", "I-LOC"]],
            "the converted tags",
            axes=("sentence", "tag"),
        )
    message = str(verdict.value)
    assert "first difference at position 1 (sentence 1, tag 1): expected 'I-LOC', got 'B-LOC'" in message
    assert "wrong in sentence 1 (1 of 2); the others are right" in message


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_make_check_fails_with_makes_status_not_a_signal(tmp_path):
    """A check that does not pass: its own message, then make's one line and status 2 (a failed recipe), not
    141 (make killed by SIGPIPE, which scripts read as a crash)."""
    copy = tmp_path / "course"
    copy.mkdir()
    for name in ("Makefile", "requirements.txt", "pyproject.toml"):  # the venv's stamp stays newer
        shutil.copy2(REPO_ROOT / name, copy / name)
    shutil.copytree(REPO_ROOT / "exercises", copy / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    for mine in (copy / "exercises").glob("ex[0-9][0-9][a-z]_*.py"):  # not the learner's files: the pristine stub
        mine.unlink()
    venv = tmp_path / "venv"  # this Python, behind a stamp newer than the requirements: make installs nothing
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (venv / "bin" / "python").chmod(0o755)
    (venv / ".installed").touch()
    result = subprocess.run(
        ["make", "-s", "--no-print-directory", "check", "EX=ex01a", f"VENV={venv}"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert NOT_DONE in output and "TODO" in output, output
    makes = [line for line in output.splitlines() if "***" in line or "Error" in line]
    assert len(makes) == 1 and re.fullmatch(r"make(\[\d+\])?: \*\*\* \[Makefile:\d+: check\] Error 1", makes[0]), output
    assert result.returncode == 2, (result.returncode, output)
