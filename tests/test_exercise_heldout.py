"""Held-out answers: realistic wrong and right answers to every exercise, written by someone who had read only
the stubs and the reference solutions (never the checks), kept in tests/heldout/<exercise>/.

Each file begins with a `# WRONG:` or `# RIGHT:` comment saying what it does (for a wrong one, also an input
that tells it apart from the reference). A wrong answer must not pass its check; a right one must pass.
The files are written as learners write them, so ruff leaves tests/heldout alone (pyproject.toml).
"""

import shutil
import warnings
from pathlib import Path

import pytest

from exercises import all_exercises
from exercises.runner import PASSED, run_check

HELDOUT = Path(__file__).resolve().parent / "heldout"
BY_NAME = {e.name: e for e in all_exercises()}
ANSWERS = sorted(HELDOUT.glob("ex*/*.py"))


def what_it_does(path: Path) -> str:
    return path.read_text().splitlines()[0]


def test_every_exercise_with_heldout_answers_exists_and_has_both_kinds():
    folders = sorted({path.parent.name for path in ANSWERS})
    assert folders, f"no held-out answers under {HELDOUT}"
    for name in folders:
        assert name in BY_NAME, f"tests/heldout/{name} names no exercise"
        kinds = {path.name.split("_")[0] for path in ANSWERS if path.parent.name == name}
        assert kinds == {"right", "wrong"}, f"tests/heldout/{name} has only {kinds}"
    for path in ANSWERS:
        assert path.name.startswith(("right_", "wrong_")), path
        assert what_it_does(path).startswith(("# RIGHT:", "# WRONG:")), path


@pytest.mark.parametrize("answer", ANSWERS, ids=[f"{p.parent.name}/{p.stem}" for p in ANSWERS])
def test_heldout_answer(tmp_path, answer):
    exercise = BY_NAME[answer.parent.name]
    path = exercise.file_in(tmp_path)  # the file name the checker expects, in a folder of its own
    shutil.copy(answer, path)
    outcome = run_check(exercise, path)
    if answer.name.startswith("right_"):
        assert outcome.status == PASSED, f"{what_it_does(answer)}\n{outcome.status}: {outcome.message}"
    else:
        assert outcome.status != PASSED, f"{what_it_does(answer)}\npassed: {outcome.message}"


# Held-out wrong answers whose cause the check names or shows: phrases their verdict must contain.
MESSAGES = {
    "ex02a_lstm_cell/wrong_05": ["lstm_step returned (c, h)", "order (h, c)"],
    "ex04b_iob_spans/wrong_06": ["a second time", "keeps something from one call to the next"],
    "ex04c_iob1_to_iob2/wrong_05": ["types other than CoNLL's four", "expected 'B-GPE', got 'I-GPE'"],
    "ex05a_teacher_forcing/wrong_06": ["(inside argument `sentences`)", "`list(sentences[0])`"],
    "ex05c_beam_step/wrong_05": ["k=200", "np.argpartition does not sort"],
    "ex05c_beam_step/wrong_07": ["Only 3 candidates have a finite score here", "still k=5 new beams"],
    "ex06a_caption_text/wrong_04": ["another vocabulary", "instead of start_id=9 and end_id=10"],
    "ex06a_caption_text/wrong_07": ["a padding 0 before [end]", "by stopping at a padding 0 too"],
    "ex06b_bleu_clipping/wrong_07": ["extra spaces", 'by splitting on single spaces, split(" ")'],
    "ex07a_temperature/wrong_01": ["NumPy warned while running your code, at line 8 of", "overflow encountered in exp"],
    "ex07a_temperature/wrong_06": ["temperature=0.01", "by treating a small temperature as 0"],
    "ex07b_top_k/wrong_06": ["NumPy warned while running your code, at line 7 of", "without subtracting the max"],
    "ex07b_top_k/wrong_07": ["(an int array)", "-inf, inf or NaN put into an int array?"],
    "ex08a_window_pairs/wrong_03": ["expected (5, 5, 3), got (5, 3, 5)", ".transpose(0, 2, 1)"],
    "ex08a_window_pairs/wrong_04": ["expected (0, 4, 2), got (0,)", "np.zeros((0, window) + inputs.shape[1:])"],
    "ex08a_window_pairs/wrong_06": ["(pair 0, hour in the window 0, feature 0)", "starting `horizon` rows late"],
    "ex08b_standardise/wrong_01": ["far from train's", "the leak lesson 08 is about"],
    "ex08b_standardise/wrong_04": [
        "by dividing by a std of 0",
        "NumPy warned while running your code, at line 7 of",
        "invalid value encountered in divide",
    ],
    "ex08b_standardise/wrong_05": ["changed the array splits['train'] it was given (inside argument `splits`)"],
    "ex08c_pinball_loss/wrong_05": ["the model's weights became NaN", "BEFORE the subtraction"],
    "ex08c_pinball_loss/wrong_07": ["model.fit with your loss raised", "np.asarray(y_true", "NumPy cannot compute"],
    "ex08c_pinball_loss/wrong_09": ["quantiles=(0.9,)", "by using QUANTILES instead of the `quantiles` argument"],
    "ex09a_min_gru_step/wrong_01": ["with the gate reading h_prev", "a GRU habit"],
    "ex09a_min_gru_step/wrong_02": ["(batch row 0, unit 0)", "that is lesson 02's Keras GRU"],
    "ex09a_min_gru_step/wrong_06": ["batch 3, 3 inputs, 3 units", "with element-wise products"],
    "ex09b_combine/wrong_03": ["with the steps in the wrong order", "as if `second` were the earlier step"],
    "ex09b_combine/wrong_04": ["Your combine is not associative", "by unpacking `first` as (a1, a2)"],
    "ex09b_combine/wrong_07": ["returned a tuple of 1 item.", "a pair (A, B)"],
    "ex09b_combine/wrong_10": ["changed the array first[0] it was given (inside argument `first`)"],
}


@pytest.mark.parametrize("name, phrases", MESSAGES.items(), ids=list(MESSAGES))
def test_heldout_verdict_names_the_cause(tmp_path, name, phrases):
    exercise = BY_NAME[name.split("/")[0]]
    path = exercise.file_in(tmp_path)
    shutil.copy(HELDOUT / f"{name}.py", path)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        outcome = run_check(exercise, path)
    assert outcome.status != PASSED
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message
    assert outcome.message.count("NumPy warned") <= 1, outcome.message
    # NumPy's warnings are the verdict's business: none reaches the screen raw
    assert not [w for w in shown if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in shown]


# The reference solution with one change that keeps state between calls: the verdict says so.
STATEFUL = [
    ("ex04c", ("def iob1_to_iob2(tags):", "    converted = []\n"), ("def iob1_to_iob2(tags, converted=[]):", "")),
    (
        "ex06a",
        ("def caption_text(ids, words, start_id, end_id):", "    caption = []\n"),
        ("def caption_text(ids, words, start_id, end_id, caption=[]):", ""),
    ),
    (
        "ex06b",
        ("def clipped_matches(hypothesis, references, n):", "    most = Counter()\n"),
        ("def clipped_matches(hypothesis, references, n, most=Counter()):", ""),
    ),
]


@pytest.mark.parametrize("ex_id, olds, news", STATEFUL, ids=[s[0] for s in STATEFUL])
def test_state_kept_between_calls_is_named(tmp_path, ex_id, olds, news):
    exercise = next(e for e in BY_NAME.values() if e.id == ex_id)
    source = exercise.solution_text()
    for old, new in zip(olds, news):
        assert old in source, f"the solution of {ex_id} no longer contains {old!r}; update this test"
        before, _, after = source.rpartition(old)  # the last occurrence: the code, not the docstring
        source = before + new + after
    path = exercise.file_in(tmp_path)
    path.write_text(source)
    outcome = run_check(exercise, path)
    assert outcome.status != PASSED
    assert "keeps something from one call to the next" in outcome.message, outcome.message


def test_numpy_warnings_of_a_passing_answer_stay_quiet(tmp_path):
    exercise = next(e for e in BY_NAME.values() if e.id == "ex07b")
    source = exercise.solution_text()
    old = "    keep = np.argsort(logits)[::-1][:k]\n"
    assert old in source, "the solution of ex07b changed; update this test"
    path = exercise.file_in(tmp_path)
    path.write_text(source.replace(old, old + "    _ = np.log(np.zeros(1))  # warns, harmlessly\n"))
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        outcome = run_check(exercise, path)
    assert outcome.status == PASSED, outcome.message
    assert "NumPy warned" not in outcome.message
    assert not [w for w in shown if issubclass(w.category, RuntimeWarning)], [str(w.message) for w in shown]


def test_in_place_advice_names_the_argument_that_changed():
    from exercises.checking import in_place_message

    message = in_place_message("count", "seen", ("seen", "dict", "its keys changed"), "two words")
    assert "`dict(seen)`" in message and "tags" not in message, message
    message = in_place_message("pad", "rows", ("rows", "list", "it had 2 items and now has 3"), "")
    assert "`list(rows)`" in message and "tags" not in message, message
