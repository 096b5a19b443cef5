"""Failure messages (issue #15): a named cause must be certain before it is shown, and a difference is
located in the learner's terms.

Each wrong answer is a copy of the reference solution with one change, checked as
`python -m exercises check --dir DIR NAME` does (through the runner's run_check). For every exercise here:
- a wrong answer that equals a known mistake only by coincidence on one case (an earlier case it got right
  rules that mistake out, or two mistakes give the same answer) gets no named cause;
- a true instance of the mistake still gets its name;
- the message says where the answer differs (time step, batch row, sentence, index, new token...).
"""

import numpy as np
import pytest

from exercises import all_exercises
from exercises.checking import Suspects
from exercises.runner import FAILED, run_check

BY_ID = {e.id: e for e in all_exercises()}
NAMED = "This is exactly what you get"


def check_variant(tmp_path, ex_id, changes):
    exercise = BY_ID[ex_id]
    source = exercise.solution_text()
    for old, new in changes:
        assert old in source, f"the solution of {ex_id} no longer contains {old!r}; update this test"
        before, _, after = source.rpartition(old)  # the last occurrence: the code, not the docstring
        source = before + new + after
    path = exercise.file_in(tmp_path)
    path.write_text(source)
    outcome = run_check(exercise, path)
    assert outcome.status == FAILED, outcome.message
    return outcome.message


# (exercise id, changes, phrases the verdict must contain): wrong only by coincidence like a known mistake
COINCIDENCES = [
    (
        "ex01b",  # carries the state only when it started from zeros: right on the first case, which rules
        # out "without carrying the state", then equal to that mistake when h0 is given
        [
            (
                "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n        states.append(h)\n",
                "        new = rnn_step(x, h, W_xh, W_hh, b_h)\n        states.append(new)\n"
                "        if h0 is None:\n            h = new\n",
            )
        ],
        ["5 steps, a given h0", "(time step 1, hidden unit ", "wrong in time step"],
    ),
    (
        "ex02c",  # clips only above twice max_norm: right where comparing the squared norm would be wrong
        # (norm 3, max_norm 4), then equal to that mistake at norm 0.6, max_norm 0.5
        [("if global_norm > max_norm else", "if global_norm > 2 * max_norm else")],
        ["global norm 0.6, max_norm=0.5"],
    ),
    (
        "ex07a",  # caps the temperature at 1: right at 0.5, which rules out "ignoring the temperature",
        # then equal to it at temperature 2
        [("    scaled = logits / temperature\n", "    scaled = logits / min(temperature, 1.0)\n")],
        ["temperature=2.0", "(index "],
    ),
    (
        "ex07b",  # clamps k one too low: right for k=3 and k=1, which rule out "k - 1", then keeps 9 of 10
        [("[::-1][:k]", "[::-1][: min(k, len(logits) - 1)]")],
        ["k=10", "(index "],
    ),
    (
        "ex07c",  # returns the prime when nothing was generated: the other cases rule out "returning the prime"
        [("    return new_ids\n", "    return new_ids if new_ids else list(prime_ids)\n")],
        ["length 0", "0 were expected and 2 came out"],
    ),
    (
        "ex08a",  # one hour early only for a day-ahead horizon: the earlier horizons rule out "one hour too early"
        [
            (
                "labels = targets[starts + window - 1 + horizon]",
                "labels = targets[starts + window - 1 + horizon - (horizon > 20)]",
            )
        ],
        ["horizon=24", "(pair 0)"],
    ),
    (
        "ex08b",  # pools every split only when there are two: the three-split cases rule out the pooled statistics
        [
            (
                'train = np.asarray(splits["train"], dtype=np.float64)',
                'train = np.asarray(splits["train"] if len(splits) > 2 else np.concatenate(list(splits.values())))',
            )
        ],
        ['only two splits, "train" and "test"', "(row 0, column 0)"],
    ),
    (
        "ex08c",  # q and 1 - q swapped for a single quantile only: the three-quantile cases rule out the swap
        [
            (
                "    loss = keras.ops.maximum(q * error,",
                "    q = 1.0 - q if len(quantiles) == 1 else q\n    loss = keras.ops.maximum(q * error,",
            )
        ],
        ["ONE quantile", "quantiles=(0.9,)"],
    ),
    (
        "ex09a",  # tanh for one unit only: the earlier cases rule out "tanh as the candidate's activation"
        [
            (
                "    candidate = g(keras.ops.matmul(x_t, w_h) + b_h)\n",
                "    pre = keras.ops.matmul(x_t, w_h) + b_h\n"
                "    candidate = keras.ops.tanh(pre) if pre.shape[-1] == 1 else g(pre)\n",
            )
        ],
        ["ONE unit", "(batch row 0, unit 0)"],
    ),
    (
        "ex09b",  # adds the b's for one-unit steps only: the (2, 3) steps rule out "by adding the b's"
        [
            (
                "    return a1 * a2, a2 * b1 + b2\n",
                "    return a1 * a2, (b1 + b2 if a1.shape[-1] == 1 else a2 * b1 + b2)\n",
            )
        ],
        ["two steps of shape (4, 1)"],
    ),
]


@pytest.mark.parametrize(
    "ex_id, changes, phrases", COINCIDENCES, ids=[f"{c[0]}-{i}" for i, c in enumerate(COINCIDENCES)]
)
def test_a_coincidence_gets_no_named_cause(tmp_path, ex_id, changes, phrases):
    message = check_variant(tmp_path, ex_id, changes)
    assert NAMED not in message, message
    for phrase in phrases:
        assert phrase in message, message


# (exercise id, changes, the named cause, where the message locates the difference)
TRUE_MISTAKES = [
    (
        "ex01b",
        [
            (
                "        h = rnn_step(x, h, W_xh, W_hh, b_h)\n        states.append(h)\n",
                "        states.append(rnn_step(x, h, W_xh, W_hh, b_h))\n",
            )
        ],
        "without carrying the state",
        ["(time step 1, hidden unit ", "wrong in time step 1, 2, 3, 4, 5, 6 (6 of 7)"],
    ),
    (
        "ex02b",
        [("    return z * h_prev + (1 - z) * candidate", "    return (1 - z) * h_prev + z * candidate")],
        "with z and 1 - z swapped",
        ["(batch row 0, unit ", "wrong in batch row"],
    ),
    (
        "ex02c",
        [("if global_norm > max_norm else", "if global_norm**2 > max_norm else")],
        "by comparing the squared norm",
        ["global norm 3, max_norm=4"],
    ),
    (
        "ex05a",
        [("np.zeros((len(sentences), width), dtype=np.int64)", "np.full((len(sentences), width), end_id)")],
        "by padding with the [end] id",
        ["(sentence 0, position 5)", "wrong in sentence 0, 2 (2 of 3)"],
    ),
    (
        "ex06a",
        [
            (
                "    for i in ids:\n",
                "    ends = [j for j, i in enumerate(ids) if i == end_id]\n"
                "    ids = list(ids)[: ends[-1]] if ends else ids\n"
                "    for i in ids:\n        if i == end_id:\n            continue\n",
            )
        ],
        "by cutting at the last [end]",
        ["raw argmax output that goes on after [end]"],
    ),
    (
        "ex07a",
        [("    scaled = logits / temperature\n", "    scaled = logits\n")],
        "by ignoring the temperature",
        ["temperature=0.5", "(index "],
    ),
    ("ex07b", [("[::-1][:k]", "[::-1][: k - 1]")], "by keeping k - 1 logits instead of k", ["k=3", "(index "]),
    (
        "ex07c",
        [("    return new_ids\n", "    return list(prime_ids) + new_ids\n")],
        "by returning the prime",
        ["(new token "],
    ),
    (
        "ex08a",
        [("labels = targets[starts + window - 1 + horizon]", "labels = targets[starts + window - 1]")],
        "by labelling pair i with its window's own last row",
        ["window=5, horizon=3", "(pair 0)"],
    ),
    (
        "ex08b",
        [('train = np.asarray(splits["train"], dtype=np.float64)', "train = np.concatenate(list(splits.values()))")],
        "by computing the mean and std over every split together",
        ["(row 0, column 0)", "wrong in row 0, 1, 2"],
    ),
    (
        "ex08c",
        [
            (
                "    terms = keras.ops.sum(weight) * len(quantiles)\n",
                "    terms = keras.ops.sum(keras.ops.ones_like(weight)) * len(quantiles)\n",
            )
        ],
        "by counting the missing labels in the mean",
        ["8 rows x 2 horizons, 5 labels missing"],
    ),
    (
        "ex09a",
        [("    return (1 - z) * h_prev + z * candidate\n", "    return z * h_prev + (1 - z) * candidate\n")],
        "with z and 1 - z swapped",
        ["(batch row 0, unit ", "wrong in batch row 0, 1, 2 (3 of 3)"],
    ),
    (
        "ex09b",
        [("    return a1 * a2, a2 * b1 + b2\n", "    return a1 * a2, b1 + b2\n")],
        "by adding the b's",
        ["two steps of shape (2, 3)"],
    ),
]


@pytest.mark.parametrize(
    "ex_id, changes, cause, where", TRUE_MISTAKES, ids=[f"{t[0]}-{i}" for i, t in enumerate(TRUE_MISTAKES)]
)
def test_a_true_mistake_is_named_and_located(tmp_path, ex_id, changes, cause, where):
    message = check_variant(tmp_path, ex_id, changes)
    assert f"{NAMED} {cause}" in message, message
    for phrase in where:
        assert phrase in message, message


def test_exercises_with_named_causes_cover_at_least_five():
    coincidences = {c[0] for c in COINCIDENCES}
    assert len(coincidences) >= 5
    assert coincidences <= {t[0] for t in TRUE_MISTAKES}


def test_suspects_names_only_the_one_mistake_left():
    suspects = Suspects()
    mistakes = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, 4.0]), "c": np.array([3.0, 4.0])}
    # two mistakes give the same wrong answer: neither is named
    assert suspects.named(np.array([3.0, 4.0]), np.array([0.0, 0.0]), mistakes) == {}
    # a right answer rules out the mistakes that would have given something else there ("b"), not "c"
    assert suspects.named(np.array([5.0]), np.array([5.0]), {"b": np.array([6.0]), "c": np.array([5.0])}) == {}
    assert suspects.ruled_out == {"b"}
    named = suspects.named(np.array([3.0, 4.0]), np.array([0.0, 0.0]), mistakes)
    assert list(named) == ["c"]
    # an answer that is wrong but no mistake's: nothing; a mistake that cannot happen (None) is skipped
    assert suspects.named(np.array([9.0, 9.0]), np.array([0.0, 0.0]), {**mistakes, "d": None}) == {}
    assert suspects.named(None, np.array([0.0, 0.0]), mistakes) == {}


def test_suspects_compares_lists_exactly():
    suspects = Suspects(atol=None)
    mistakes = {"front": [[0, 3, 5]], "end id": [[3, 5, 4]]}
    assert suspects.named([[3, 5, 0]], [[3, 5, 0]], mistakes) == {}
    assert suspects.ruled_out == {"front", "end id"}
    assert suspects.named([(0, 3, 5)], [[3, 5, 0]], {"front": [(0, 3, 5)]}) == {}  # ruled out for good
    assert list(Suspects(atol=None).named(("a", 1), ["b", 1], {"x": ["a", 1]})) == ["x"]
