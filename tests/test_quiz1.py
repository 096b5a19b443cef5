"""Quiz 1 (lessons 01-03): lesson 03's masked GRU classifier in NumPy.

- the check's reference equals the Keras model (model(x) and model.predict) on real IMDB reviews tokenised by
  lesson 03's pipeline, and Keras does what the quiz's docstring says at padded steps;
- the seeded weights keep the gates away from saturation, so every named mistake changes the answer;
- realistic wrong answers are rejected (named where the evidence singles the mistake out), two right answers
  written differently pass, and a machine without IMDB gets one line telling the learner to run make lesson03.
"""

import numpy as np
import pytest

from course_utils import data
from course_utils.lesson import definitions

from exercises import all_exercises
from exercises.checks import quiz1_masked_gru as quiz
from exercises.runner import ERROR, FAILED, PASSED, run_check
from tests.conftest import data_required

QUIZ = next(e for e in all_exercises() if e.id == "quiz1")
NAMED = "This is exactly what you get"


@pytest.fixture(scope="module")
def reviews(real_data):
    if not data.on_disk("imdb"):
        message = f"IMDB is not under {real_data}"
        if data_required():
            pytest.fail(message)
        pytest.skip(message)
    return quiz.real_reviews()


@pytest.fixture(scope="module")
def all_cases(reviews):
    return [quiz.HAND_MADE, *quiz.cases(reviews)]


# ------------------------------------------------------------------ the reference is the real thing
def test_reference_equals_the_keras_model_on_real_reviews(all_cases, reviews):
    import keras

    model, weights = quiz.keras_model(), quiz.seeded_weights()
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))
    for case, token_ids in all_cases:
        expected = quiz.keras_proba(token_ids)
        assert np.allclose(quiz.reference(token_ids, weights), expected, atol=1e-6, rtol=0), case
    # lesson 03's own model (its build_model, as `make lesson03` runs it) with these weights, through
    # model.predict on a batch of many reviews padded at the end: get_weights() lists them in the docstring's order
    lesson03 = definitions("lesson03_sentiment")
    config = lesson03.Config(cell="gru", embedding_dim=quiz.EMBED, units=quiz.UNITS)
    with keras.device("cpu"):
        lesson_model = lesson03.build_model(quiz.VOCAB, config)
        assert [w.shape for w in lesson_model.get_weights()] == [w.shape for w in weights]
        lesson_model.set_weights(weights)
        batch = quiz.pad(list(reviews[:48]))
        predicted = lesson_model.predict(batch, batch_size=16, verbose=0)[:, 0]
    assert np.allclose(quiz.reference(batch, weights), predicted, atol=1e-6, rtol=0)


def test_keras_skips_every_zero_and_keeps_the_zero_state_for_a_row_of_padding(reviews):
    """What the docstring says Keras does: the state after the last real token, wherever the zeros are."""
    review = reviews[0][:12]
    alone = quiz.keras_proba(review[None, :])[0]
    variants = quiz.pad([review, np.r_[0, 0, review], np.insert(review, [4, 4, 9], 0), np.r_[review, 0, 0, 0]])
    assert np.allclose(quiz.keras_proba(variants), alone, atol=1e-6)
    dense_bias = quiz.seeded_weights()[-1]
    only_padding = quiz.keras_proba(np.zeros((2, 5), "int32"))
    assert np.allclose(only_padding, quiz.sigmoid(dense_bias[0]), atol=1e-6)


def test_the_gates_are_not_saturated_and_every_named_mistake_changes_the_answer(all_cases):
    weights = quiz.seeded_weights()
    embeddings, kernel, recurrent_kernel, bias, _, _ = (w.astype(float) for w in weights)
    gates, candidates = [], []
    for _, token_ids in all_cases:  # the gates along the real reviews, as the reference computes them
        h = np.zeros((token_ids.shape[0], quiz.UNITS))
        for t in range(token_ids.shape[1]):
            x = embeddings[token_ids[:, t]] @ kernel + bias[0]
            rec = h @ recurrent_kernel + bias[1]
            z = quiz.sigmoid(x[:, : quiz.UNITS] + rec[:, : quiz.UNITS])
            r = quiz.sigmoid(x[:, quiz.UNITS : 2 * quiz.UNITS] + rec[:, quiz.UNITS : 2 * quiz.UNITS])
            candidate = np.tanh(x[:, 2 * quiz.UNITS :] + r * rec[:, 2 * quiz.UNITS :])
            new_h = z * h + (1 - z) * candidate
            real = token_ids[:, t, None] != 0
            gates += [z[real[:, 0]], r[real[:, 0]]]
            candidates.append(candidate[real[:, 0]])
            h = np.where(real, new_h, h)
    gates = np.concatenate([g.ravel() for g in gates])
    assert np.mean((gates > 0.05) & (gates < 0.95)) > 0.9
    assert np.mean(np.abs(np.concatenate([c.ravel() for c in candidates])) < 0.9) > 0.75
    keras_out = [quiz.keras_proba(token_ids) for _, token_ids in all_cases]
    for mistake, options in quiz.MISTAKES.items():
        gaps = []
        for (_, token_ids), expected in zip(all_cases, keras_out):
            wrong = np.asarray(quiz.reference(token_ids, weights, **options))
            gaps.append(np.inf if wrong.shape != expected.shape else np.abs(wrong - expected).max())
        assert max(gaps) > 1e-2, mistake  # far above the check's 1e-5: no wrong answer passes by luck


# ------------------------------------------------------------------ wrong answers, right answers
def check_text(tmp_path, text):
    path = QUIZ.file_in(tmp_path)
    path.write_text(text)
    return run_check(QUIZ, path)


def changed(changes):
    source = QUIZ.solution_text()
    for old, new in changes:
        assert old in source, f"the solution no longer contains {old!r}; update this test"
        before, _, after = source.rpartition(old)  # the code, not the docstring
        source = before + new + after
    return source


KEEP = "        h = np.where(real, new_h, h)\n"
GATES = "        z = sigmoid(x_z + h_z)\n        r = sigmoid(x_r + h_r)\n"
CANDIDATE = "new_h = z * h + (1 - z) * np.tanh(x_h + r * h_h)"
RETURN = "    return sigmoid(h @ dense_kernel + dense_bias)[:, 0]\n"

# (what the learner did, changes, status, phrases the verdict must contain)
WRONG = [
    ("padding not masked", [(KEEP, "        h = new_h\n")], FAILED, ["update the state like a word"]),
    (
        "stops at the first 0",
        [
            ("    for t in range", "    running = np.ones((token_ids.shape[0], 1), dtype=bool)\n    for t in range"),
            (KEEP, "        running = running & real\n        h = np.where(running, new_h, h)\n"),
        ],
        FAILED,
        ["#7, the same 6 reviews", "padded at the FRONT", "stopping at a row's first 0"],
    ),
    (
        "z and r swapped",
        [(GATES, "        r = sigmoid(x_z + h_z)\n        z = sigmoid(x_r + h_r)\n")],
        FAILED,
        ["#1, a hand-made batch", "gate z and the reset gate r swapped"],
    ),
    (
        "reset_after=False",
        [
            (
                CANDIDATE,
                "new_h = z * h + (1 - z) * np.tanh(x_h + (r * h) @ np.split(recurrent_kernel, 3, axis=-1)[2]"
                " + np.split(bias[1], 3)[2])",
            )
        ],
        FAILED,
        ["reset_after=False"],
    ),
    (
        "z and 1 - z swapped",
        [(CANDIDATE, "new_h = (1 - z) * h + z * np.tanh(x_h + r * h_h)")],
        FAILED,
        ["z and 1 - z swapped"],
    ),
    (
        "one bias row for both parts",
        [("h @ recurrent_kernel + bias[1]", "h @ recurrent_kernel + bias[0]")],
        FAILED,
        ["with bias[0] for both parts"],
    ),
    (
        "no recurrent bias",
        [("h @ recurrent_kernel + bias[1]", "h @ recurrent_kernel")],
        FAILED,
        ["without the recurrent bias bias[1]"],
    ),
    ("logits", [(RETURN, "    return (h @ dense_kernel + dense_bias)[:, 0]\n")], FAILED, ["without the final sigmoid"]),
    (
        "Dense on every step",
        [
            ("    for t in range", "    probs = []\n    for t in range"),
            (KEEP, KEEP + "        probs.append(sigmoid(h @ dense_kernel + dense_bias)[:, 0])\n"),
            (RETURN, "    return np.stack(probs, axis=1)\n"),
        ],
        FAILED,
        ["wrong shape: expected (2,), got (2, 4)", "applying Dense to every step's state"],
    ),
    (
        "the state set to 0 at padding, then the last column",
        [(KEEP, "        h = np.where(real, new_h, 0.0)\n")],
        FAILED,
        ["setting the state to 0 at a padded step"],
    ),
    (
        "an unmasked run read at step length - 1",
        [
            ("    for t in range", "    states = []\n    for t in range"),
            (KEEP, "        h = new_h\n        states.append(h)\n"),
            (
                RETURN,
                "    h = np.stack(states, axis=1)[np.arange(len(h)), (token_ids != 0).sum(axis=1) - 1]\n" + RETURN,
            ),
        ],
        FAILED,
        ["padded at the FRONT", "(number of real tokens - 1)"],
    ),
    (
        "zero vectors for the padding",
        [
            ("x = embeddings[token_ids]", "x = embeddings[token_ids] * (token_ids[..., None] != 0)"),
            (KEEP, "        h = new_h\n"),
        ],
        FAILED,
        ["a vector of zeros at the padded steps"],
    ),
    (
        "padding shrinks the state (no named cause)",
        [(KEEP, "        h = np.where(real, new_h, 0.9 * h)\n")],
        FAILED,
        ["Only rows with a 0 in them are wrong (review 1); every row without a 0 is right"],
    ),
    (
        "padding embedding zeroed in place",
        [
            (
                "    x = embeddings[token_ids]\n",
                "    embeddings[0] = 0.0  # the padding vector\n    x = embeddings[token_ids]\n",
            )
        ],
        FAILED,
        ["changed the array weights[0] it was given", "in place"],
    ),
    (
        "(batch, 1) returned",
        [(RETURN, "    return sigmoid(h @ dense_kernel + dense_bias)\n")],
        FAILED,
        ["expected (2,), got (2, 1)", "take its column 0"],
    ),
    ("kernel transposed", [("x[:, t] @ kernel", "x[:, t] @ kernel.T")], ERROR, ["predict_proba", "matmul"]),
]


@pytest.mark.parametrize("mistake, changes, status, phrases", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_answers_are_rejected(reviews, tmp_path, mistake, changes, status, phrases):
    outcome = check_text(tmp_path, changed(changes))
    assert outcome.status == status, outcome.message
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message


RIGHT_PER_REVIEW = """
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gru_step(x, h, kernel, recurrent_kernel, bias):
    units = len(h)
    a = x @ kernel + bias[0]
    b = h @ recurrent_kernel + bias[1]
    z = sigmoid(a[:units] + b[:units])
    r = sigmoid(a[units : 2 * units] + b[units : 2 * units])
    candidate = np.tanh(a[2 * units :] + r * b[2 * units :])
    return z * h + (1 - z) * candidate


def predict_proba(token_ids, weights):
    embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    out = []
    for row in token_ids:
        h = np.zeros(recurrent_kernel.shape[0], dtype=np.float32)
        for token in row[row != 0]:  # the masked steps change nothing: leave them out
            h = gru_step(embeddings[token], h, kernel, recurrent_kernel, bias)
        out.append(sigmoid(h @ dense_kernel[:, 0] + dense_bias[0]))
    return np.array(out)
"""

RIGHT_BY_INDEX = """
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def predict_proba(token_ids, weights):
    embeddings = weights[0]
    w_z, w_r, w_h = np.hsplit(weights[1], 3)
    u_z, u_r, u_h = np.hsplit(weights[2], 3)
    (bx_z, bx_r, bx_h), (bh_z, bh_r, bh_h) = (np.split(row, 3) for row in weights[3])
    h = np.zeros((len(token_ids), weights[2].shape[0]))
    for t, ids in enumerate(np.transpose(token_ids)):
        x = embeddings[ids]
        z = sigmoid(x @ w_z + bx_z + h @ u_z + bh_z)
        r = sigmoid(x @ w_r + bx_r + h @ u_r + bh_r)
        new_h = z * h + (1 - z) * np.tanh(x @ w_h + bx_h + r * (h @ u_h + bh_h))
        m = (ids != 0).astype(float)[:, None]
        h = m * new_h + (1 - m) * h
    return sigmoid(np.ravel(h @ weights[4]) + weights[5])
"""


@pytest.mark.parametrize("text", [RIGHT_PER_REVIEW, RIGHT_BY_INDEX], ids=["per review, float32", "by index"])
def test_right_answers_written_differently_pass(reviews, tmp_path, text):
    outcome = check_text(tmp_path, '"""Quiz 1."""\n' + text)
    assert outcome.status == PASSED, outcome.message
    assert outcome.seconds < 20


def test_without_imdb_the_check_says_run_make_lesson03_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "no_data"))
    outcome = check_text(tmp_path, QUIZ.solution_text())
    assert outcome.status == FAILED and "make lesson03" in outcome.message, outcome.message
    assert "\n" not in outcome.message and not (tmp_path / "no_data").exists()  # nothing downloaded


def test_the_stub_is_reported_before_imdb_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "no_data"))
    outcome = check_text(tmp_path, QUIZ.stub_text())
    assert outcome.status == "not done yet" and "predict_proba" in outcome.message, outcome.message
