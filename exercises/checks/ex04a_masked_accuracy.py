"""Check for ex04a: accuracy over real tokens only, on batches where counting padding changes the answer."""

import numpy as np

from exercises.checking import Suspects, expect_close

TITLE = "masked token accuracy (padding does not count)"
HINTS = (
    "Three arrays of shape (batch, time): the predicted tag (np.argmax(y_pred, axis=-1)), whether it is "
    "right (predicted == y_true) and whether the position is a real token (y_true != pad_id). Count the "
    "positions that are both right and real, and divide by the number of real positions.",
    "    predicted = np.argmax(y_pred, axis=-1)   # shape (batch, time)\n"
    "    real = ...                               # True where y_true is not pad_id\n"
    "    if not real.any():\n"
    "        return 0.0\n"
    "    return float(np.sum((predicted == y_true) & ...) / np.sum(...))",
)


def make_batch(rng, lengths, time, n_tags, right, pad_guess):
    """True tags (padding = 0), and scores whose argmax is right with probability `right` on real tokens."""
    y_true = np.zeros((len(lengths), time), dtype=np.int64)
    scores = rng.normal(size=(len(lengths), time, n_tags))
    for row, n in enumerate(lengths):
        y_true[row, :n] = rng.integers(1, n_tags, size=n)
        for t in range(time):
            if t < n:
                target = y_true[row, t] if rng.random() < right else (y_true[row, t] % (n_tags - 1)) + 1
            else:
                target = pad_guess(rng)
            scores[row, t, target] += 10.0
    return y_true, scores


def reference(y_true, scores, pad_id=0, count_padding=False, all_positions=False):
    predicted = np.argmax(scores, axis=-1)
    real = np.ones_like(y_true, bool) if count_padding else (y_true != pad_id)
    if not real.any():
        return 0.0
    correct = np.sum((predicted == y_true) & real)
    return float(correct / (y_true.size if all_positions else np.sum(real)))


def check(learner):
    rng = np.random.default_rng(8)
    cases = [
        (
            "4 sentences of 3-10 tokens padded to 10; the model predicts the padding tag on padding",
            make_batch(rng, [3, 10, 5, 7], 10, 6, 0.7, lambda r: 0),
            0,
        ),
        (
            "the model predicts random tags on padding",
            make_batch(rng, [2, 8, 4], 9, 5, 0.5, lambda r: int(r.integers(0, 5))),
            0,
        ),
        ("no padding at all", make_batch(rng, [6, 6], 6, 4, 0.6, lambda r: 0), 0),
        ("padding id 3 instead of 0", None, 3),
    ]
    y_true, scores = make_batch(rng, [4, 6], 6, 5, 0.5, lambda r: 0)
    y_true = np.where(y_true == 0, 3, np.where(y_true == 3, 0, y_true))  # swap ids 0 and 3, padding becomes 3
    scores = scores[..., [3, 1, 2, 0, 4]]
    cases[-1] = (cases[-1][0], (y_true, scores), 3)
    y_true, scores = make_batch(rng, [5, 8, 3], 8, 5, 0.6, lambda r: 0)
    for row, t in ((0, 1), (0, 3), (1, 0), (1, 6), (2, 2)):  # real tokens on which the model predicts padding
        scores[row, t, 0] = scores[row, t].max() + 5.0
    cases.append(
        (
            "the model predicts the padding tag 0 on 5 real tokens (those are wrong, and still count)",
            (y_true, scores),
            0,
        )
    )
    suspects = Suspects()  # a cause is named only when the evidence singles it out
    for case, (y_true, scores), pad_id in cases:
        got = learner.call(
            "masked_token_accuracy",
            y_true.copy(),
            scores.copy(),
            pad_id,
            case=f"y_true {y_true.shape}, y_pred {scores.shape}, pad_id={pad_id}",
        )
        mistakes = {
            "by counting the padding positions as tokens (the mask is ignored)": reference(
                y_true, scores, pad_id, count_padding=True
            ),
            "by dividing by every position (batch * time) instead of by the number of real tokens": reference(
                y_true, scores, pad_id, all_positions=True
            ),
            "by treating 0 as padding instead of the pad_id argument": reference(y_true, scores, 0),
        }
        expected = reference(y_true, scores, pad_id)
        expect_close(
            got, expected, "masked_token_accuracy", case=case, mistakes=suspects.named(got, expected, mistakes)
        )
    empty = np.zeros((2, 4), dtype=np.int64)
    got = learner.call(
        "masked_token_accuracy", empty, rng.normal(size=(2, 4, 3)), 0, case="a batch that is all padding"
    )
    expect_close(got, 0.0, "masked_token_accuracy on a batch with no real tokens", case="all padding")
    return (
        "masked_token_accuracy counts real tokens only (5 batches, a custom pad_id, the padding tag predicted "
        "on real tokens, and an all-padding batch)."
    )
