"""Wrong answers that the checks used to let through (issue #15), each a copy of the reference solution with
one realistic change: the check must now reject it, and name a cause only when the evidence singles it out.

Each wrong answer is written to a temporary folder and checked as `python -m exercises check --dir DIR NAME`
does (through the runner's run_check); the unchanged reference solutions must still pass.
"""

import pytest

from exercises import all_exercises
from exercises.runner import FAILED, PASSED, run_check

BY_ID = {e.id: e for e in all_exercises()}

# (exercise id, [(text in the solution, what the wrong answer writes instead), ...],
#  phrases the verdict must contain, phrases it must not contain)
WRONG = [
    # --- inputs that never exercised the case
    (
        "ex04c",
        [("        previous_type = kind\n", "        previous_type = kind or previous_type  # O keeps the type\n")],
        ["an O between two entities of one type", "expected 'B-PER', got 'I-PER'"],
        ["This is exactly what you get"],
    ),
    (
        "ex04c",  # I- stays I- only after another I-: right on most cases, like "every I- to B-" on one of them
        [
            ('    previous_type = ""\n', '    previous_type, previous_prefix = "", ""\n'),
            (
                'if prefix == "I" and kind != previous_type:',
                'if prefix == "I" and (kind != previous_type or previous_prefix != "I"):',
            ),
            ("        previous_type = kind\n", "        previous_type, previous_prefix = kind, prefix\n"),
        ],
        ["two touching entities of one type"],
        ["every I- into B-"],
    ),
    (
        "ex04b",  # remembers the last entity's type across an O, so I-X O I-X loses the second entity
        [
            (
                """    spans = []
    current, start = None, 0
    for i, tag in enumerate(list(tags) + ["O"]):  # a final "O" closes an entity at the end
        prefix, _, kind = tag.partition("-")
        continues = prefix == "I" and kind == current
        if current is not None and not continues:
            spans.append((current, start, i))
            current = None
        if prefix in ("B", "I") and not continues:
            current, start = kind, i
    return spans
""",
                """    spans, start, open_type, last = [], None, None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        if prefix == "I" and kind == last:  # continues the last entity
            continue
        if start is not None:
            spans.append((open_type, start, i))
            start = None
        if prefix in ("B", "I"):
            start, open_type = i, kind
            last = kind
    return spans
""",
            )
        ],
        ["an O between two entities of one type", "('PER', 2, 3)"],
        ["This is exactly what you get"],
    ),
    (
        "ex02c",
        [
            (
                "    global_norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))\n"
                "    scale = max_norm / global_norm if global_norm > max_norm else 1.0\n",
                "    squared = float(sum(np.sum(np.square(g)) for g in grads))\n"
                "    global_norm = float(np.sqrt(squared))\n"
                "    scale = max_norm / global_norm if squared > max_norm else 1.0  # saves a square root\n",
            )
        ],
        ["global norm 3, max_norm=4", "by comparing the squared norm"],
        ["also when the norm is already below"],
    ),
    (
        "ex06b",  # counts an n-gram in a reference by substring: "man" is found inside "woman"
        [
            (
                "        for gram, count in Counter(ngrams(reference.split(), n)).items():\n"
                "            most[gram] = max(most[gram], count)\n",
                "        for gram in counts:\n"
                '            most[gram] = max(most[gram], reference.count(" ".join(gram)))\n',
            )
        ],
        ["woman"],
        ["This is exactly what you get"],
    ),
    (
        "ex04a",  # a real token on which the model predicts the padding tag is left out instead of counted wrong
        [("real = y_true != pad_id", "real = (y_true != pad_id) & (predicted != pad_id)")],
        ["the padding tag 0 on 5 real tokens"],
        [],
    ),
    (
        "ex05a",
        [("[start_id, *ids, end_id]", "[3, *ids, 4]  # [start] and [end] in lesson 05")],
        ["another vocabulary", "instead of the start_id and end_id arguments"],
        [],
    ),
    (
        "ex05b",
        [
            ("tokens = np.full(batch_size, start_id)", "tokens = np.full(batch_size, 3)  # [start]"),
            ("if token == end_id:", "if token == 2:  # [end]"),
        ],
        ["start_id=5 and end_id=7"],
        [],
    ),
    (
        "ex03b",  # builds the dictionary once, on the first call, and keeps it
        [
            ("def vectorize(", "_INDEX = None\n\n\ndef vectorize("),
            (
                "    index = {word: i for i, word in enumerate(vocabulary)}\n",
                "    global _INDEX\n    if _INDEX is None:\n"
                "        _INDEX = {word: i for i, word in enumerate(vocabulary)}\n    index = _INDEX\n",
            ),
        ],
        ["another vocabulary", "from an earlier call"],
        [],
    ),
    # --- what the docstring asks but nothing checked
    (
        "ex03a",
        [
            ("Embedding(vocab_size, embed_dim, mask_zero=True)", "Embedding(vocab_size, units, mask_zero=True)"),
            ("GRU(units)", "GRU(embed_dim)"),
        ],
        ["embed_dim (6)", "swapped"],
        [],
    ),
    ("ex03a", [("GRU(units)", "GRU(16)")], ["has 16 units", "units (10)"], ["swapped"]),
    ("ex03a", [("Embedding(vocab_size, embed_dim,", "Embedding(vocab_size, 8,")], ["embed_dim (6)"], ["swapped"]),
    (
        "ex03a",  # averages the masked word vectors: ignores padding, but no recurrent layer
        [("keras.layers.GRU(units)(embedded)", "keras.layers.GlobalAveragePooling1D()(embedded)")],
        ["no recurrent layer"],
        [],
    ),
    ("ex05b", [("        if finished.all():\n            break\n", "")], ["Stop early", "after 7 steps"], []),
    (
        "ex05a",
        [("np.zeros((len(sentences), width), dtype=np.int64)", "np.zeros((len(sentences), width))")],
        ["integer token ids", "float64", "dtype=int"],
        [],
    ),
    (
        "ex05a",
        [("return targets[:, :-1], targets[:, 1:]", "return targets[:, :-1] * 1.0, targets[:, 1:] * 1.0")],
        ["integer token ids"],
        [],
    ),
    (
        "ex08b",  # divides by 1 for a constant column, but returns the std of 0 that lesson 08 multiplies back by
        [
            ("    std = np.where(std == 0, 1.0, std)\n", ""),
            ("- mean) / std for name", "- mean) / np.where(std == 0, 1.0, std) for name"),
        ],
        ["hours of rain", "the std each column was divided by"],
        [],
    ),
    (
        "ex08b",
        [("(np.asarray(rows, dtype=np.float64) - mean) / std", "np.nan_to_num((np.asarray(rows) - mean) / std)")],
        ["must stay NaN", "replacing NaN with 0 in the scaled rows"],
        [],
    ),
    (
        "ex08a",  # a list of windows made into an array: right while there is a pair, shape (0,) when there is none
        [
            (
                "windows = inputs[starts[:, None] + np.arange(window)]",
                "windows = np.array([inputs[i : i + window] for i in starts])",
            )
        ],
        ["no pair", "expected (0, 4, 2), got (0,)"],
        [],
    ),
    (
        "ex09a",  # element-wise products: they run only when the shapes broadcast, as in the first, square case
        [("keras.ops.matmul(x_t, w_z)", "x_t * w_z"), ("keras.ops.matmul(x_t, w_h)", "x_t * w_h")],
        ["batch 3, 3 inputs, 3 units", "with element-wise products"],
        [],
    ),
    (
        "ex09b",  # the a's added: B right for two steps, and no difference at all with h0 = 0 in a scan of two
        [("    return a1 * a2, a2 * b1 + b2\n", "    return a1 + a2, a2 * b1 + b2\n")],
        ["Your combine is not associative", "by adding the a's"],
        [],
    ),
]


def write_variant(folder, exercise, changes):
    source = exercise.solution_text()
    for old, new in changes:
        assert old in source, f"the solution of {exercise.id} no longer contains {old!r}; update this test"
        before, _, after = source.rpartition(old)  # the last occurrence: the code, not the docstring
        source = before + new + after
    path = exercise.file_in(folder)
    path.write_text(source)
    return path


@pytest.mark.parametrize("ex_id, changes, phrases, absent", WRONG, ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_wrong_answer_is_rejected(tmp_path, ex_id, changes, phrases, absent):
    exercise = BY_ID[ex_id]
    outcome = run_check(exercise, write_variant(tmp_path, exercise, changes))
    assert outcome.status == FAILED, outcome.message
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message
    for phrase in absent:
        assert phrase not in outcome.message, outcome.message


@pytest.mark.parametrize("ex_id", sorted({w[0] for w in WRONG}))
def test_the_unchanged_solution_passes(tmp_path, ex_id):
    exercise = BY_ID[ex_id]
    outcome = run_check(exercise, write_variant(tmp_path, exercise, []))
    assert outcome.status == PASSED, outcome.message


def test_random_iob_cases_agree_with_the_course_conll_helpers():
    from course_utils import conll
    from exercises.checks import ex04b_iob_spans, ex04c_iob1_to_iob2
    from lessons.saved.lesson04_tagging import entities

    for _, text, expected in ex04b_iob_spans.CASES + ex04b_iob_spans.random_cases():
        assert entities(text.split()) == set(expected), text
    for _, text, expected in ex04c_iob1_to_iob2.CASES + ex04c_iob1_to_iob2.random_cases():
        assert conll.iob1_to_iob2(text.split()) == expected.split(), text
    random_texts = [text for _, text, _ in ex04c_iob1_to_iob2.random_cases()]
    assert any(
        " O I-" in t and t.split(" O ")[0].split()[-1][2:] == t.split(" O ")[1].split()[0][2:]
        for t in random_texts
        if " O " in t
    )  # some cases have one type on both sides of an O


# Differently written right answers must still pass the stricter checks.
RIGHT = [
    ("ex03a", [("keras.layers.GRU(units)(embedded)", "keras.layers.RNN(keras.layers.GRUCell(units))(embedded)")]),
    ("ex03a", [("keras.layers.GRU(units)(embedded)", "keras.layers.LSTM(units)(embedded)")]),
    (
        "ex03b",
        [
            (
                "    index = {word: i for i, word in enumerate(vocabulary)}\n",
                "    index = dict(zip(vocabulary, range(len(vocabulary))))\n",
            )
        ],
    ),
    (
        "ex05b",
        [
            (
                "    for _ in range(max_length):\n",
                "    steps = 0\n    while steps < max_length and not finished.all():\n        steps += 1\n",
            ),
            ("        if finished.all():\n            break\n", ""),
        ],
    ),
    ("ex05a", [("return targets[:, :-1], targets[:, 1:]", "return targets[:, :-1].tolist(), targets[:, 1:].tolist()")]),
    (
        "ex04c",
        [
            (
                '        if prefix == "I" and kind != previous_type:\n            tag = "B-" + kind\n',
                '        if tag.startswith("I-") and kind != previous_type:\n'
                '            tag = tag.replace("I-", "B-", 1)\n',
            )
        ],
    ),
    ("ex02c", [("if global_norm > max_norm else 1.0", "if global_norm**2 > max_norm**2 else 1.0")]),
    ("ex09b", [("    return a1 * a2, a2 * b1 + b2\n", "    return [a2 * a1, b2 + a2 * b1]\n")]),
]


@pytest.mark.parametrize("ex_id, changes", RIGHT, ids=[f"{r[0]}-{i}" for i, r in enumerate(RIGHT)])
def test_another_right_answer_passes(tmp_path, ex_id, changes):
    exercise = BY_ID[ex_id]
    outcome = run_check(exercise, write_variant(tmp_path, exercise, changes))
    assert outcome.status == PASSED, outcome.message
