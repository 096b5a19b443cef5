"""Check for quiz1: lesson 03's Embedding(mask_zero=True) -> GRU -> Dense(sigmoid) forward pass in NumPy,
compared with the Keras model itself on real IMDB reviews tokenised by lesson 03's pipeline (TextVectorization
with clean_text, a small vocabulary), after one hand-made batch (so that a stub or a crash is reported before
IMDB is read): padded batches of several widths, a batch without padding, one-token
reviews, padding at the front, zeros in the middle and a row of nothing but padding. The weights are seeded and
scaled so that no gate saturates (each named mistake changes the answer). The tests check that `reference`
equals the Keras model and that every named mistake is told apart."""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import functools

import numpy as np

from course_utils import CourseError
from exercises.checking import CheckFailed, Suspects, as_array, expect_close, maybe

TITLE = "lesson 03's masked GRU classifier, by hand in NumPy (IMDB)"
HINTS = (
    "Loop over the time steps and do each step for the whole batch at once: the GRU step of ex02b on "
    "x[:, t], the vectors of every row's token at step t. Then keep the old state in the rows whose token at t "
    "is 0: np.where with a condition of shape (batch, 1) chooses, row by row, between the new state and the old "
    "one. After the loop h holds each review's state after its last real token.",
    "    embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights\n"
    "    x = embeddings[token_ids]                                  # (batch, time, embed_dim)\n"
    "    h = np.zeros((token_ids.shape[0], recurrent_kernel.shape[0]))\n"
    "    for t in range(token_ids.shape[1]):\n"
    "        x_z, x_r, x_h = np.split(x[:, t] @ kernel + bias[0], 3, axis=-1)\n"
    "        h_z, h_r, h_h = np.split(h @ recurrent_kernel + ..., 3, axis=-1)\n"
    "        z, r = sigmoid(x_z + h_z), sigmoid(...)\n"
    "        new_h = z * h + (1 - z) * np.tanh(x_h + r * ...)\n"
    "        h = np.where(token_ids[:, t, None] != 0, ..., ...)     # at a 0: keep the old state\n"
    "    return sigmoid(h @ dense_kernel + dense_bias)[...]          # shape (batch,)",
)

VOCAB, EMBED, UNITS = 400, 12, 8  # a small vocabulary adapts fast; embed_dim != units: a transposed kernel fails
LENGTH = 64  # TextVectorization's output_sequence_length for these short reviews
ADAPT = 1500  # reviews the vocabulary is adapted on (the reviews checked come after them)
ATOL, RTOL = 1e-5, 1e-5
NEED_DATA = (
    "this quiz reads real IMDB reviews, and IMDB is not on this machine yet: run `make lesson03` first "
    "(it downloads IMDB)"
)


# ---------------------------------------------------------------- the reference, and the mistakes it can make
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference(
    token_ids,
    weights,
    *,
    mask="keep",
    readout="last",
    gates="zr",
    reset_after=True,
    swap_z=False,
    bias_rows=(0, 1),
    bias_in_reset=True,
    probabilities=True,
):
    """Lesson 03's model in float64 NumPy; the options make the named mistakes.

    mask: "keep" (Keras: a padded step keeps the state), "none" (padding updates the state), "zeros" (padding
    feeds a zero vector), "reset" (padding sets the state to 0), "stop" (a row stops at its first 0).
    readout: "last" (the final state), "count" (the state at step number-of-real-tokens - 1), "every" (every
    step's state), "column" (Dense's (batch, 1) output as it is).
    bias_rows: which row of `bias` the input and the recurrent part use (None: no bias there).
    """
    embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = (np.asarray(w, np.float64) for w in weights)
    ids = np.asarray(token_ids)
    real = ids != 0
    x = embeddings[ids]
    if mask == "zeros":
        x = np.where(real[..., None], x, 0.0)
    units = recurrent_kernel.shape[0]
    input_bias, recurrent_bias = (np.zeros(3 * units) if row is None else bias[row] for row in bias_rows)
    h = np.zeros((ids.shape[0], units))
    running = np.ones(ids.shape[0], dtype=bool)
    states = []
    for t in range(ids.shape[1]):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + input_bias, 3, axis=-1)
        h_z, h_r, h_h = np.split(h @ recurrent_kernel + recurrent_bias, 3, axis=-1)
        z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
        if gates == "rz":
            z, r = r, z
        if not reset_after:  # Keras' reset_after=False: r scales h before the product
            h_h = (r * h) @ recurrent_kernel[:, 2 * units :] + recurrent_bias[2 * units :]
            candidate = np.tanh(x_h + h_h)
        elif bias_in_reset:
            candidate = np.tanh(x_h + r * h_h)
        else:  # the recurrent bias added outside the reset gate
            candidate = np.tanh(x_h + r * (h_h - recurrent_bias[2 * units :]) + recurrent_bias[2 * units :])
        new_h = (1 - z) * h + z * candidate if swap_z else z * h + (1 - z) * candidate
        step_real = real[:, t, None]
        if mask in ("none", "zeros"):
            h = new_h
        elif mask == "reset":
            h = np.where(step_real, new_h, 0.0)
        elif mask == "stop":
            running &= real[:, t]
            h = np.where(running[:, None], new_h, h)
        else:
            h = np.where(step_real, new_h, h)
        states.append(h)
    if readout == "every":
        h = np.stack(states, axis=1)  # (batch, time, units)
    elif readout == "count":
        h = np.stack(states, axis=1)[np.arange(ids.shape[0]), real.sum(axis=1) - 1]
    logits = h @ dense_kernel + dense_bias
    out = sigmoid(logits) if probabilities else logits
    return out if readout == "column" else out[..., 0]


MISTAKES = {
    "by letting the padding (id 0) update the state like a word: at a 0, the state must stay as it was": dict(
        mask="none"
    ),
    "by feeding a vector of zeros at the padded steps: a padded step must not change the state at all": dict(
        mask="zeros"
    ),
    "by setting the state to 0 at a padded step instead of keeping the old state": dict(mask="reset"),
    "by stopping at a row's first 0: Keras skips a padded step and reads on": dict(mask="stop"),
    "by reading the state at step (number of real tokens - 1) of a run that does not skip the padding: that is "
    "right only when all the padding is at the end": dict(mask="none", readout="count"),
    "with the update gate z and the reset gate r swapped (the columns are z, r, h, in that order)": dict(gates="rz"),
    "with the reset gate applied to h before the product (Keras' reset_after=False); Keras' default multiplies "
    "r with (h @ recurrent_kernel + bias[1])": dict(reset_after=False),
    "with the recurrent bias bias[1] added outside the reset gate: r scales (h @ recurrent_kernel + bias[1]) "
    "as a whole": dict(bias_in_reset=False),
    "with z and 1 - z swapped: new_h = (1 - z) * h + z * candidate (a textbook convention, not Keras')": dict(
        swap_z=True
    ),
    "without the recurrent bias bias[1]": dict(bias_rows=(0, None)),
    "without the input bias bias[0]": dict(bias_rows=(None, 1)),
    "with bias[0] for both parts: bias[1] is the recurrent part's bias": dict(bias_rows=(0, 0)),
    "with bias[1] for both parts: bias[0] is the input part's bias": dict(bias_rows=(1, 1)),
    "without the final sigmoid: those are the logits, not probabilities": dict(probabilities=False),
    "by applying Dense to every step's state: return only the probability after each review's last real token": dict(
        readout="every"
    ),
    "by returning Dense's output of shape (batch, 1) as it is: take its column 0": dict(readout="column"),
}


# ---------------------------------------------------------------- the Keras model and the real reviews
def seeded_weights():
    """Weights like a trained model's, but seeded: every gate and the output stay away from saturation, and
    each bias row matters (a freshly built GRU has zero biases, which would hide a missing bias)."""
    rng = np.random.default_rng(2024)
    weights = [
        rng.normal(0.0, 1.0, (VOCAB, EMBED)),  # row 0 too: Keras never uses it for padding, but it is not zero
        rng.normal(0.0, 0.9 / np.sqrt(EMBED), (EMBED, 3 * UNITS)),
        rng.normal(0.0, 1.1 / np.sqrt(UNITS), (UNITS, 3 * UNITS)),
        rng.normal(0.0, 0.6, (2, 3 * UNITS)),
        rng.normal(0.0, 2.0 / np.sqrt(UNITS), (UNITS, 1)),
        np.array([0.4]),
    ]
    return [w.astype("float32") for w in weights]


@functools.lru_cache(maxsize=1)
def keras_model():
    """Lesson 03's model (Embedding(mask_zero=True) -> GRU -> Dense(sigmoid)) with the seeded weights: its
    get_weights() is what the learner's function is given."""
    import keras

    with keras.device("cpu"):  # cuDNN refuses padding at the front; the CPU kernels compute in plain float32
        model = keras.Sequential(
            [
                keras.Input(shape=(None,), dtype="int32"),
                keras.layers.Embedding(VOCAB, EMBED, mask_zero=True),
                keras.layers.GRU(UNITS),
                keras.layers.Dense(1, activation="sigmoid"),
            ],
            name="lesson03_model",
        )
        model.set_weights(seeded_weights())
    return model


def keras_proba(token_ids):
    """The Keras model's probabilities for a batch of token ids, shape (batch,)."""
    import keras

    with keras.device("cpu"):
        return keras.ops.convert_to_numpy(keras_model()(np.asarray(token_ids, "int32"), training=False))[:, 0]


@functools.lru_cache(maxsize=2)
def tokenised_reviews(data_root: str) -> tuple:
    """Short IMDB test reviews as lesson 03 tokenises them: 1-D arrays of token ids, without the padding."""
    from course_utils.corpora import load_imdb
    from course_utils.text import fit_vectorizer, vectorize

    texts, _, _ = load_imdb("test")
    vectorizer = fit_vectorizer(texts[:ADAPT], max_tokens=VOCAB, sequence_length=LENGTH)
    short = [text for text in texts[ADAPT:] if len(text.split()) <= 60][:200]
    return tuple(row[row != 0] for row in vectorize(vectorizer, short))


def real_reviews():
    from course_utils import data

    if not data.on_disk("imdb"):
        raise CheckFailed(NEED_DATA)
    try:
        return tokenised_reviews(str(data.data_root()))
    except CourseError as err:
        raise CheckFailed(f"{err} (then run `make lesson03`: it downloads IMDB)") from None


class Picker:
    """Takes reviews out of the tokenised ones, each once: the next one, or the one closest to a length."""

    def __init__(self, reviews):
        self.reviews, self.used = reviews, set()

    def take(self, length=None):
        free = [i for i in range(len(self.reviews)) if i not in self.used]
        i = free[0] if length is None else min(free, key=lambda i: abs(len(self.reviews[i]) - length))
        self.used.add(i)
        return self.reviews[i]


def pad(rows, front=False):
    """Rows of token ids padded with 0, at the end (or at the front), to the longest."""
    width = max(len(row) for row in rows)
    batch = np.zeros((len(rows), width), dtype="int32")
    for out, row in zip(batch, rows):
        if front:
            out[width - len(row) :] = row
        else:
            out[: len(row)] = row
    return batch


def span(rows):
    counts = sorted(len(row) for row in rows)
    return f"{counts[0]} to {counts[-1]}" if counts[0] != counts[-1] else str(counts[0])


def cases(reviews):
    """(description, token ids) for each case, from the tokenised reviews."""
    pick = Picker(reviews)
    alone = pick.take(30)
    same = [pick.take()[:20] for _ in range(3)]
    varied = [pick.take(n) for n in (44, 8, 63, 21, 52, 33)]
    mixed = [pick.take()[:1], pick.take(16), pick.take(40), pick.take(27)]
    middle = [pick.take(25), pick.take(36), pick.take(18), pick.take(30)]
    middle = [np.insert(middle[0], 3, 0), np.insert(middle[1], [5, 5, 12], 0), np.r_[0, middle[2]], middle[3]]
    single = pick.take()[:1]
    beside = [pick.take(12), np.zeros(0, "int32"), pick.take(24)]
    width = pad(varied).shape[1]
    return [
        (f"one review of {len(alone)} tokens, no padding", alone[None, :]),
        ("3 reviews cut to their first 20 tokens: no row needs padding", np.stack(same)),
        (f"6 reviews of {span(varied)} tokens, padded with 0 at the end to {width} steps", pad(varied)),
        (
            f"4 reviews of {span(mixed)} tokens (row 0: a review cut to its first token), padded at the end",
            pad(mixed),
        ),
        ("a review of one token (shape (1, 1))", single[None, :]),
        (
            f"the same 6 reviews of {span(varied)} tokens, padded at the FRONT to {width} steps (Keras skips "
            "those steps too)",
            pad(varied, front=True),
        ),
        (
            "zeros inside reviews, then padding at the end: row 0 has a 0 after its 3rd token, row 1 three (two "
            "in a row), row 2 starts with a 0, row 3 has none (Keras skips each 0 and reads on)",
            pad(middle),
        ),
        ("a row of nothing but padding (row 1) between two reviews", pad(beside)),
    ]


# ---------------------------------------------------------------- the check
def compare(got, expected, token_ids, what, case, named):
    """expect_close, with a pointer to the padding when only the rows that have padding are wrong."""
    array = as_array(got, what)
    try:
        expect_close(array, expected, what, case=case, atol=ATOL, rtol=RTOL, axes="review", mistakes=named)
    except CheckFailed as failed:
        padded = (token_ids == 0).any(axis=1)
        if array.shape == expected.shape and not named and padded.any() and not padded.all():
            wrong = ~np.isclose(array, expected, atol=ATOL, rtol=RTOL)
            if not wrong[~padded].any():
                rows = ", ".join(str(i) for i in np.flatnonzero(wrong))
                raise CheckFailed(
                    f"{failed}\nOnly rows with a 0 in them are wrong (review {rows}); every row without a 0 is "
                    "right: look at what your code does at token id 0."
                ) from None
        raise


HAND_MADE = (
    "a hand-made batch: row 0 is 4 tokens, row 1 is 2 tokens and 2 padding steps",
    np.array([[14, 3, 27, 9], [31, 5, 0, 0]], dtype="int32"),
)


def check(learner):
    weights = seeded_weights()  # what model.get_weights() gives
    suspects = Suspects(atol=ATOL, rtol=RTOL)
    number = 0

    def run(case, token_ids):
        nonlocal number
        number += 1
        case = f"#{number}, {case}"
        given = (token_ids.copy(), [w.copy() for w in weights])
        got = learner.call("predict_proba", *given, case=f"{case}; token_ids of shape {token_ids.shape}")
        expected = keras_proba(token_ids)
        mistakes = {
            text: maybe(lambda options: reference(token_ids, weights, **options), options)
            for text, options in MISTAKES.items()
        }
        what = f"predict_proba(token_ids of shape {token_ids.shape}, weights)"
        compare(got, expected, token_ids, what, case, suspects.named(got, expected, mistakes))

    run(*HAND_MADE)  # first, so that a stub or a crash is reported before IMDB is read
    for case, token_ids in cases(real_reviews()):
        run(case, token_ids)
    return (
        f"predict_proba equals the Keras model's probabilities (to {ATOL:g}) on a hand-made batch and {number - 1} "
        "batches of real IMDB reviews: padding at the end, none, at the front, zeros in the middle, one-token "
        "reviews and a row of only padding."
    )
