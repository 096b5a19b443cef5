"""Check for ex03c: lesson 03's masked max pooling over time, written with keras.ops.

First hand-made tensors (so that a stub or a crash is reported before IMDB is read): padded steps that hold the
largest values, units whose real values are all negative, the mask as bools, as 0/1 ints and floats, or None,
padding at the front and in the middle, a row of nothing but padding, a single step. Then the learner's function
inside a layer in an Embedding(mask_zero=True) -> GRU(return_sequences=True) -> pooling -> Dense model, built
symbolically (NumPy fails there), on real IMDB reviews of different lengths tokenised by lesson 03's pipeline:
padded at the end (twice, to two widths), at the front, and with a row of only padding. The tests check that
`reference` equals lesson 03's MaskedMaxPooling layer on the same inputs."""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import functools
import types

import numpy as np

from course_utils import CourseError
from exercises.checking import CheckFailed, Suspects, as_array, as_tensor, expect_close, maybe, short_repr

TITLE = "masked max pooling over time, in keras.ops (IMDB)"
HINTS = (
    "A padded step must lose every comparison: keras.ops.where(condition, x, y) takes x where the condition is "
    "True and y elsewhere, so put PADDING_VALUE wherever the mask is False. The mask has no units axis: "
    "keras.ops.expand_dims(mask, -1) makes it (batch, time, 1), which lines up with outputs. Then take "
    "keras.ops.max over axis 1, the time axis. Without a mask (None), only the max.",
    "    if mask is not None:\n"
    '        real = keras.ops.cast(mask, "bool")                    # 1/0 masks too\n'
    "        real = keras.ops.expand_dims(real, ...)                # (batch, time, 1)\n"
    "        outputs = keras.ops.where(real, outputs, ...)          # PADDING_VALUE at the padded steps\n"
    "    return keras.ops.max(outputs, axis=...)                    # (batch, units)",
)

FILL = -1e9  # the lesson's layer (and the stub's PADDING_VALUE)
ATOL, RTOL = 1e-6, 1e-5
VOCAB, EMBED, UNITS = 400, 12, 7  # real-review model: units differs from every batch size and width used
LENGTH = 160  # TextVectorization's output_sequence_length (lesson 03 uses 1000; these reviews are short)
ADAPT = 600  # reviews the vocabulary is adapted on (the reviews pooled come after them)
NEED_DATA = (
    "this check runs your pooling on real IMDB reviews, and IMDB is not on this machine yet: "
    "run `make lesson03` first (it downloads IMDB)"
)
OTHER_LIBRARIES = {"tensorflow": "TensorFlow", "tf_keras": "tf_keras", "jax": "JAX", "torch": "PyTorch"}


# ---------------------------------------------------------------- the reference, and the mistakes it can make
def reference(outputs, mask, *, fill=FILL, use_mask=True, invert=False, how="max", axis=1, keepdims=False):
    """Lesson 03's MaskedMaxPooling in float64 NumPy; the options make the named mistakes.

    fill: what a padded step becomes before the max (0: multiplying by the mask). use_mask=False: every step
    counts. invert: the mask read the wrong way round. how: "max", "mean" (over the real steps) or "last" (the
    last step's output). axis, keepdims: as np.max's.
    """
    x = np.asarray(outputs, dtype=np.float64)
    real = np.ones(x.shape[:2], dtype=bool) if mask is None or not use_mask else np.asarray(mask) != 0
    if invert:
        real = ~real
    if how == "last":
        return x[:, -1]
    if how == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(real[..., None], x, 0.0).sum(axis=1) / real.sum(axis=1)[:, None]
    return np.where(real[..., None], x, fill).max(axis=axis, keepdims=keepdims)


MISTAKES = {
    "by taking the max over every step, padding included (what GlobalMaxPooling1D does): the padded steps must "
    "not take part, put PADDING_VALUE there first": dict(use_mask=False),
    "by multiplying the outputs by the mask (or putting 0 at the padded steps): a padded 0 then beats a unit "
    "whose real values are all negative, and a row of only padding gives 0. Put PADDING_VALUE there "
    "(keras.ops.where(mask, outputs, PADDING_VALUE))": dict(fill=0.0),
    "by filling the padded steps with -inf: a row of only padding then gives -inf, which a Dense layer after it "
    "turns into NaN. Use PADDING_VALUE (-1e9), as the lesson's layer does": dict(fill=-np.inf),
    "with the mask the wrong way round: True (or 1) marks a real word, False (or 0) padding": dict(invert=True),
    "by averaging the real steps (what GlobalAveragePooling1D does) instead of taking their max": dict(how="mean"),
    "by averaging every step instead of taking the max of the real ones": dict(how="mean", use_mask=False),
    "by returning the last step's output instead of the max over time": dict(how="last"),
    "by taking the max over the units axis (axis=2 or -1) instead of the time axis (axis=1)": dict(axis=2),
    "by taking the max over the batch axis (axis=0) instead of the time axis (axis=1)": dict(axis=0),
    "with keepdims=True: the result must be (batch, units), with no time axis left": dict(keepdims=True),
}


def mistakes_for(outputs, mask, got):
    """{description: what that mistake gives} for these inputs; a fill of the learner's own when it shows."""
    found = {
        text: maybe(lambda options: reference(outputs, mask, **options), options) for text, options in MISTAKES.items()
    }
    empty = np.flatnonzero(~(np.asarray(mask) != 0).any(axis=1)) if mask is not None else []
    expected_shape = (outputs.shape[0], outputs.shape[2])
    if len(empty) and got.shape == expected_shape:
        fill = got[empty[0], 0]
        if np.isfinite(fill) and fill not in (0.0, FILL) and np.all(got[empty] == fill):
            found[
                f"by filling the padded steps with {fill:.6g}: a row of only padding must give PADDING_VALUE "
                "(-1e9) in every unit, as the lesson's layer does"
            ] = reference(outputs, mask, fill=fill)
    return found


# ---------------------------------------------------------------- the hand-made cases
def hand_made_cases():
    """(description, outputs (float32), mask or None, the case with the same outputs and a bool mask or None)."""
    rng = np.random.default_rng(31)
    first = rng.uniform(-1.0, 1.0, size=(3, 6, 4)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]], dtype=bool)
    first[0, 4:] = 9.0  # padding holds the largest values...
    first[2, 2:] = [[5.0, 7.0, 6.0, 8.0]] * 4
    first[0, :4, 1] = -np.abs(first[0, :4, 1]) - 0.1  # ...and some units are negative at every real step
    first[2, :2, 3] = -np.abs(first[2, :2, 3]) - 0.1
    first[1, :, 2] = -np.abs(first[1, :, 2]) - 0.2
    lengths = "row 0: 4 real steps then 2 padded ones, row 1: 6 real steps, row 2: 2 real then 4 padded"
    big = "the padded steps hold the largest values (5 to 9); some units are negative at every real step"

    alone = rng.uniform(-1.0, 1.0, size=(3, 5, 4)).astype("float32")
    alone_mask = np.array([[1, 1, 1, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    alone[1] = rng.uniform(-2.0, -1.0, size=(5, 4))
    alone[0, 3:] = 4.0

    lengths6 = np.array([9, 1, 4, 7, 2, 5])
    random = rng.uniform(-1.0, 1.0, size=(6, 9, 5)).astype("float32")
    random_mask = np.arange(9)[None, :] < lengths6[:, None]
    random[~random_mask] = rng.uniform(1.5, 3.0, size=(int((~random_mask).sum()), 5))
    random[3, :, 2] -= 1.5  # row 3's unit 2: negative at every step
    random[1, 0] = -np.abs(random[1, 0])  # a one-word review whose outputs are all negative

    anywhere = rng.uniform(-1.0, 1.0, size=(4, 7, 3)).astype("float32")
    anywhere_mask = np.array(
        [[0, 0, 1, 1, 1, 1, 1], [1, 0, 1, 0, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 1]], dtype=bool
    )
    anywhere[~anywhere_mask] = 3.0
    anywhere[3, 6] = [-0.5, -0.25, 0.75]

    single = rng.uniform(-1.0, 1.0, size=(2, 1, 3)).astype("float32")
    single[0, 0, 1] = -0.8
    return [
        (f"3 reviews, {lengths}; {big}; mask of bools", first, mask, None),
        ("the same outputs, mask=None (no mask: every step is real, the plain max over time)", first, None, 0),
        ("the same outputs and mask, the mask as ints 1 (real word) and 0 (padding)", first, mask.astype("int32"), 0),
        ("the same outputs and mask, the mask as floats 1.0 and 0.0", first, mask.astype("float32"), 0),
        (
            "row 1 is nothing but padding (its outputs are all negative), between two reviews: it must give "
            "PADDING_VALUE (-1e9) in every unit",
            alone,
            alone_mask,
            None,
        ),
        (
            f"6 reviews of {', '.join(str(n) for n in lengths6)} real steps, then padding holding larger values; "
            "row 3's unit 2 and row 1's only step are negative",
            random,
            random_mask,
            None,
        ),
        (
            "padding anywhere: row 0 at the front, row 1 in the middle and at the end, row 2 none, row 3 all but its "
            "last step",
            anywhere,
            anywhere_mask,
            None,
        ),
        (
            "a single time step: row 0 is a review of one word, row 1 is padding",
            single,
            np.array([[True], [False]]),
            None,
        ),
    ]


def described_mask(mask):
    if mask is None:
        return "mask=None"
    kind = {"b": "bools", "i": "ints", "f": "floats"}[np.asarray(mask).dtype.kind]
    return f"a mask of {kind}"


def result_array(got, what, case):
    """The learner's result as a float NumPy array (a verdict if it is None, bools, or no array at all). A tensor
    arrives as an array: the learner's process converts it (exercises/wire.py)."""
    if got is None:
        raise CheckFailed(f"case: {case}\n{what} returned None: did you forget the `return`?")
    try:
        array = np.asarray(got)
    except Exception:  # noqa: BLE001
        return as_array(got, what)
    if array.dtype == bool:
        raise CheckFailed(
            f"case: {case}\n{what} returned bools (dtype bool), not floats like `outputs`: did the "
            "bool mask go into arithmetic (`outputs * mask`)? Use keras.ops.where(mask, outputs, "
            "PADDING_VALUE)."
        )
    return as_array(array, what)


def compare(got, expected, what, case, named, note=None):
    """expect_close over (review, unit), with a note added to a failed verdict."""
    try:
        expect_close(got, expected, what, case=case, atol=ATOL, rtol=RTOL, axes=("review", "unit"), mistakes=named)
    except CheckFailed as failed:
        if note and not named:
            raise CheckFailed(f"{failed}\n{note}") from None
        raise


# ---------------------------------------------------------------- NumPy, TensorFlow and the other libraries
def names_used(fn):
    """(name, value) for every global name `fn` reads, and those of the learner's own functions it calls."""
    seen, found = set(), []

    def visit(function):
        if id(function) in seen:
            return
        seen.add(id(function))
        codes = [function.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            for name in code.co_names:
                value = function.__globals__.get(name)
                found.append((name, value))
                if isinstance(value, types.FunctionType) and value.__module__ == fn.__module__:
                    visit(value)

    visit(fn)
    return found


def library_of(name, value):
    """The top-level package `value` comes from (a module, or a function or class of one), or the name an
    `import` inside the function imports."""
    if isinstance(value, types.ModuleType):
        return value.__name__.split(".")[0]
    module = getattr(value, "__module__", None) if value is not None else None
    if isinstance(module, str):
        return module.split(".")[0]
    return name.split(".")[0] if value is None else None


def refuse_other_libraries(fn):
    for name, value in names_used(fn):
        library = library_of(name, value)
        if library in OTHER_LIBRARIES:
            raise CheckFailed(
                f"masked_max uses {OTHER_LIBRARIES[library]} (`{name}`): that works with one Keras backend only. "
                "Write it with keras.ops (keras.ops.where, keras.ops.max, keras.ops.expand_dims, keras.ops.cast), "
                "which work with every backend."
            )


def uses_numpy(fn):
    return any(library_of(name, value) == "numpy" for name, value in names_used(fn))


# ---------------------------------------------------------------- the model and the real reviews
def seeded_weights():
    """Weights like a trained model's: GRU outputs spread over (-1, 1), some units negative for a whole review."""
    rng = np.random.default_rng(2025)
    weights = [
        rng.normal(0.0, 1.0, (VOCAB, EMBED)),
        rng.normal(0.0, 1.0 / np.sqrt(EMBED), (EMBED, 3 * UNITS)),
        rng.normal(0.0, 1.0 / np.sqrt(UNITS), (UNITS, 3 * UNITS)),
        rng.normal(0.0, 0.6, (2, 3 * UNITS)),
        rng.normal(0.0, 1.0 / np.sqrt(UNITS), (UNITS, 1)),
        np.array([0.1]),
    ]
    return [w.astype("float32") for w in weights]


def pooling_layer(masked_max):
    """A layer like lesson 03's MaskedMaxPooling whose call is `masked_max(inputs, mask)`."""
    import keras

    class YourMaskedMaxPooling(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, inputs, mask=None):
            return masked_max(inputs, mask)

        def compute_mask(self, inputs, mask=None):
            return None

    return YourMaskedMaxPooling(name="your_masked_max")


MODEL = (
    "Embedding(mask_zero=True) -> GRU(return_sequences=True) -> a layer whose call returns "
    "masked_max(inputs, mask) -> Dense(1, sigmoid)"
)


def failure(doing, err, fn, path):
    """A verdict for an error raised while Keras builds or runs the model around the learner's function."""
    from exercises.learner_file import keras_error

    details, text = keras_error(err, path)
    lines = [f"case: inside a keras.Model, {MODEL}", f"{doing} raised {type(err).__name__}:", *details]
    if uses_numpy(fn) or "numpy" in text.lower():
        lines.append(
            "Inside a model masked_max is given symbolic tensors (a shape and a dtype, no values yet), "
            "which NumPy cannot compute with: write it with keras.ops (keras.ops.where, keras.ops.max, "
            "keras.ops.expand_dims), not np."
        )
    else:
        lines.append(
            "Inside a model masked_max is given symbolic tensors (a shape and a dtype, no values yet): Python "
            "cannot look at their values (no `if` or bool() on them); write it with keras.ops only "
            "(keras.ops.where, keras.ops.max, keras.ops.expand_dims, keras.ops.cast)."
        )
    return CheckFailed("\n".join(lines))


def build_model(fn, path):
    """The model with the learner's pooling, its outputs: every step's GRU output, the pooled vectors, P(positive)."""
    import keras

    keras.utils.set_random_seed(3)
    with keras.device("cpu"):  # cuDNN refuses padding at the front
        tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
        steps = keras.layers.Embedding(VOCAB, EMBED, mask_zero=True)(tokens)
        steps = keras.layers.GRU(UNITS, return_sequences=True)(steps)
        try:
            pooled = pooling_layer(fn)(steps)
            probability = keras.layers.Dense(1, activation="sigmoid")(pooled)
            model = keras.Model(tokens, [steps, pooled, probability])
        except Exception as err:  # noqa: BLE001  (whatever the learner's code raised on symbolic tensors)
            raise failure("building the model (Keras calls your function on symbolic tensors)", err, fn, path) from None
        model.set_weights(seeded_weights())
    return model


def run_model(model, token_ids, fn, path):
    import keras

    try:
        with keras.device("cpu"):
            steps, pooled, probability = model(token_ids, training=False)
    except Exception as err:  # noqa: BLE001
        raise failure(f"calling the model on token ids of shape {token_ids.shape}", err, fn, path) from None
    return keras.ops.convert_to_numpy(steps), pooled, probability


SANDBOX_PRELOAD = ("keras",)  # the learner's code builds Keras models: its process starts with keras imported
SANDBOX_PROBES = ("library_probe", "build_probe", "run_probe")  # run in the learner's process (exercises/sandbox.py)


def library_probe(learner):
    """In the learner's process: a verdict if masked_max is missing or uses another library than keras.ops."""
    refuse_other_libraries(learner.function("masked_max"))


def build_probe(learner):
    """In the learner's process: the model around the learner's pooling (a verdict if Keras cannot build it)."""
    learner.pooling_model = build_model(learner.function("masked_max"), learner.path)


def run_probe(learner, token_ids):
    """In the learner's process: that model's pooled vectors and probabilities for a batch of token ids."""
    import keras

    _, pooled, probability = run_model(learner.pooling_model, token_ids, learner.function("masked_max"), learner.path)
    arrays = [maybe(keras.ops.convert_to_numpy, value) for value in (pooled, probability)]
    return [value if array is None else array for value, array in zip((pooled, probability), arrays)]


def keras_max(outputs, mask):
    """Lesson 03's masked max pooling in keras.ops, for the model the check runs itself (for its GRU's outputs)."""
    import keras

    real = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)
    return keras.ops.max(keras.ops.where(real, outputs, FILL), axis=1)


@functools.lru_cache(maxsize=1)
def steps_model():
    return build_model(keras_max, None)


@functools.lru_cache(maxsize=2)
def tokenised_reviews(data_root: str) -> tuple:
    """IMDB test reviews as lesson 03 tokenises them (its TextVectorization, a small vocabulary), without padding."""
    from course_utils.corpora import load_imdb
    from course_utils.text import fit_vectorizer, vectorize

    texts, _, _ = load_imdb("test")
    vectorizer = fit_vectorizer(texts[:ADAPT], max_tokens=VOCAB, sequence_length=LENGTH)
    return tuple(row[row != 0] for row in vectorize(vectorizer, texts[ADAPT : ADAPT + 400]))


def real_reviews():
    from course_utils import data

    if not data.on_disk("imdb"):
        raise CheckFailed(NEED_DATA)
    try:
        return tokenised_reviews(str(data.data_root()))
    except CourseError as err:
        raise CheckFailed(f"{err} (then run `make lesson03` first: it downloads IMDB)") from None


def pad(rows, width=None, front=False):
    """Rows of token ids padded with 0 at the end (or the front) to `width` (default: the longest)."""
    width = width or max(len(row) for row in rows)
    batch = np.zeros((len(rows), width), dtype="int32")
    for out, row in zip(batch, rows):
        if len(row) and front:
            out[width - len(row) :] = row
        elif len(row):
            out[: len(row)] = row
    return batch


def real_cases(reviews):
    """(description, token ids) for each batch of real reviews."""
    used = set()

    def take(length):
        i = min((i for i in range(len(reviews)) if i not in used), key=lambda i: abs(len(reviews[i]) - length))
        used.add(i)
        return reviews[i]

    varied = [take(n) for n in (37, 9, 150, 64, 21, 103)]
    lengths = ", ".join(str(len(r)) for r in varied)
    short = [take(30)[:2], take(45), take(40)[:5], take(80)]  # two reviews cut to their first words
    beside = [take(30), np.zeros(0, "int32"), take(58)]
    width = max(len(r) for r in varied)
    return [
        (f"6 real reviews of {lengths} tokens, padded at the end to {width} steps", pad(varied)),
        (
            f"the same 6 reviews padded at the end to {width + 37} steps (more padding: the same answer)",
            pad(varied, width + 37),
        ),
        (
            f"4 real reviews of {', '.join(str(len(r)) for r in short)} tokens (rows 0 and 2: reviews cut to their "
            "first words) padded at the FRONT (the GRU's outputs there are 0)",
            pad(short, front=True),
        ),
        ("a row of nothing but padding (row 1) between two real reviews", pad(beside)),
    ]


# ---------------------------------------------------------------- the check
def check(learner):
    learner.probe(library_probe)
    suspects = Suspects(atol=ATOL, rtol=RTOL)  # a cause is named only when the evidence singles it out
    right = set()

    for number, (case, outputs, mask, twin) in enumerate(hand_made_cases()):
        case = f"#{number + 1}, {case}"
        what = f"masked_max(outputs of shape {outputs.shape}, {described_mask(mask)})"
        given = [as_tensor(outputs), None if mask is None else as_tensor(mask)]  # Keras tensors, there
        got = result_array(learner.call("masked_max", *given, case=case), what, case)
        expected = reference(outputs, mask)
        named = suspects.named(got, expected, mistakes_for(outputs, mask, got))
        note = None
        if twin in right and mask is None:
            note = (
                f"With the mask of case #{twin + 1} the same outputs came out right: with mask=None every step is "
                "real, and the answer is the max over all of them."
            )
        elif twin in right:
            note = (
                f"With the same mask as bools (case #{twin + 1}) your answer was right: 1 and 0 must mean the same "
                'as True and False (keras.ops.cast(mask, "bool") turns them into bools).'
            )
        compare(got, expected, what, case, named, note)
        right.add(number)

    learner.probe(build_probe, case=f"inside a keras.Model, {MODEL}")
    weights = seeded_weights()
    for number, (case, token_ids) in enumerate(real_cases(real_reviews())):
        case = f"model #{number + 1}, {case}"
        pooled, probability = learner.probe(run_probe, token_ids, case=f"{case} (inside a keras.Model)")
        steps = run_model(steps_model(), token_ids, None, None)[0]  # the GRU's outputs, computed here
        mask = token_ids != 0
        what = f"your pooling layer's output (GRU outputs of shape {steps.shape}, Keras' mask from the Embedding)"
        got = result_array(pooled, what, case)
        expected = reference(steps, mask)
        compare(got, expected, what, case, suspects.named(got, expected, mistakes_for(steps, mask, got)))
        logits = expected @ weights[4].astype(np.float64) + weights[5]
        want = 0.5 * (1.0 + np.tanh(logits / 2.0))  # the sigmoid, without overflow for a row of only padding
        got_p = result_array(probability, "the model's probability", case)
        if not np.isfinite(got_p).all():
            raise CheckFailed(
                f"case: {case}\nthe Dense layer after your pooling gives {short_repr(got_p.tolist())}: "
                "NaN comes from -inf or NaN in the pooled vectors."
            )
        expect_close(
            got_p,
            want,
            "the model's P(positive) (Dense(1, sigmoid) after your pooling)",
            case=case,
            atol=1e-5,
            rtol=1e-4,
            axes=("review", "output"),
        )
    return (
        "masked_max equals lesson 03's MaskedMaxPooling on 8 hand-made cases (padding holding the largest values, "
        "all-negative units, bool / int / float masks and None, padding anywhere, a row of only padding) and, "
        "inside a keras.Model, on 4 batches of real IMDB reviews (padded at the end, the front, only padding)."
    )
