"""Check for ex08c: the pinball (quantile) loss written with keras.ops.

First hand-made batches against a NumPy reference: NumPy arrays and Keras tensors (mixed too), float32 and float64,
as many horizons as quantiles (so that a quantile or label broadcast along the wrong axis gives a wrong number, not an
error), missing labels (NaN) here and there, a whole row and a whole horizon missing, a single quantile, quantiles
other than the default, unscaled PM2.5 values, and every label missing (the loss is 0). Then the learner's function
as the loss of a small Keras model (Dense -> Reshape to (horizons, quantiles)) trained by model.fit on labels of
which a fifth are missing: Keras calls it on symbolic tensors; the losses must stay finite and go down, the weights
must stay finite (a NaN gradient where a label is missing shows there), and model.evaluate must give the reference's
loss on the model's own predictions."""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)


import numpy as np

from exercises.checking import CheckFailed, Suspects, as_array, as_tensor, expect_close
from exercises.checks.ex03c_masked_max_pooling import OTHER_LIBRARIES, library_of, names_used

TITLE = "the pinball (quantile) loss in keras.ops, missing labels left out"
HINTS = (
    "present = keras.ops.logical_not(keras.ops.isnan(y_true)) marks the labels there are. Replace the missing "
    "ones BEFORE any arithmetic: y = keras.ops.where(present, y_true, 0.0) (a where or a mask applied AFTER the "
    "subtraction still lets NaN into the loss or its gradient: 0 * NaN is NaN). Give y a quantile axis "
    "(keras.ops.expand_dims(y, -1)) so that y - y_pred is (batch, horizons, quantiles) and lines up with q, a "
    "tensor of the quantiles. Then keras.ops.maximum(q * e, (q - 1) * e), zeroed where the label is missing, "
    "summed, and divided by (number of present labels) * len(quantiles), or by 1 when that is 0.",
    "    y_pred = keras.ops.convert_to_tensor(y_pred)\n"
    "    y_true = keras.ops.cast(y_true, y_pred.dtype)\n"
    "    present = keras.ops.logical_not(keras.ops.isnan(y_true))\n"
    "    y = keras.ops.where(present, y_true, ...)                  # before the subtraction\n"
    "    q = keras.ops.convert_to_tensor(quantiles, dtype=y_pred.dtype)\n"
    "    error = keras.ops.expand_dims(y, -1) - y_pred               # (batch, horizons, quantiles)\n"
    "    loss = keras.ops.maximum(q * error, ...)\n"
    "    weight = keras.ops.expand_dims(keras.ops.cast(present, y_pred.dtype), -1)\n"
    "    return keras.ops.sum(loss * weight) / keras.ops.maximum(..., 1.0)",
)
QUANTILES = (0.1, 0.5, 0.9)  # the stub's default
ATOL, RTOL = 1e-5, 1e-4  # float32 arithmetic
FEATURES, HORIZONS, ROWS, BATCH, EPOCHS = 4, 2, 96, 32, 3
MISSING = 0.2  # the share of the training labels that are missing
MODEL = (
    f"keras.Sequential([Input(({FEATURES},)), Dense({HORIZONS * len(QUANTILES)}), "
    f"Reshape(({HORIZONS}, {len(QUANTILES)}))]) compiled with loss=pinball_loss"
)
FIT_CASE = (
    f"inside model.fit: {MODEL}, trained {EPOCHS * ROWS // BATCH} steps (batches of {BATCH}) on {ROWS} rows whose "
    f"labels are {int(MISSING * 100)}% missing (NaN)"
)


# ---------------------------------------------------------------- the reference, and the mistakes it can make
def reference(
    y_true,
    y_pred,
    quantiles=QUANTILES,
    *,
    flip=False,
    keep_nan=False,
    every_label=False,
    absolute=False,
    total=False,
    sum_quantiles=False,
    q_axis=False,
    y_axis=False,
):
    """The mean pinball loss in float64 NumPy; the options make the named mistakes.

    flip: q and 1 - q swapped (the same as the error taken the wrong way round). keep_nan: missing labels not left
    out. every_label: divided by every label, missing ones included. absolute: |error| for every quantile. total:
    the sum, not the mean. sum_quantiles: summed over the quantiles, averaged over the labels. q_axis: the quantiles
    along the horizons axis. y_axis: the labels along the quantiles axis (both need as many horizons as quantiles).
    """
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    q = np.asarray(quantiles, dtype=np.float64)
    present = ~np.isnan(y)
    filled = y if keep_nan else np.where(present, y, 0.0)
    if (q_axis or y_axis) and p.shape[1] != p.shape[2]:
        return None  # NumPy (and keras.ops) would refuse to broadcast
    error = filled[:, None, :] - p if y_axis else filled[..., None] - p
    weight = np.broadcast_to(present[:, None, :] if y_axis else present[..., None], p.shape)
    q = q[:, None] if q_axis else q
    if flip:
        q = 1.0 - q
    with np.errstate(invalid="ignore"):
        loss = np.abs(error) if absolute else np.maximum(q * error, (q - 1.0) * error)
    if keep_nan:
        return float(np.mean(loss))
    summed = float(np.sum(np.where(weight, loss, 0.0)))
    if total:
        return summed
    terms = loss.size if every_label else weight.sum() / (len(quantiles) if sum_quantiles else 1)
    return summed / terms if terms else 0.0


MISTAKES = {
    "with the error taken the wrong way round (prediction - y instead of y - prediction), or q and 1 - q swapped, "
    "which gives the same: with e = y - prediction, a forecast too low (e > 0) costs q * e": dict(flip=True),
    "without leaving the missing labels out: NaN - prediction is NaN, and one NaN makes the mean NaN": dict(
        keep_nan=True
    ),
    "by counting the missing labels in the mean (dividing by every label, batch * horizons * quantiles): divide "
    "by the number of PRESENT labels times len(quantiles)": dict(every_label=True),
    "with the absolute error |y - prediction|, the same for every quantile: the pinball loss weighs it by q when "
    "the forecast is too low and by 1 - q when it is too high": dict(absolute=True),
    "by summing instead of averaging (keras.ops.sum without dividing by the number of terms)": dict(total=True),
    "by summing over the quantiles and averaging over the labels only: divide by the number of present labels "
    "TIMES len(quantiles)": dict(sum_quantiles=True),
    "with the quantiles along the horizons axis (a (quantiles, 1) tensor) instead of the last axis of y_pred: q "
    "needs no reshaping, its axis already lines up with y_pred's last one": dict(q_axis=True),
    "with the labels along the quantiles axis (y_true[:, None, :]) instead of their own (y_true[:, :, None], "
    "keras.ops.expand_dims(y_true, -1))": dict(y_axis=True),
}
NO_LABEL = (
    "by dividing 0 by 0 when no label is present (NaN): the loss must be 0 then, e.g. divide by "
    "keras.ops.maximum(count, 1)"
)
GLOBAL = "by using QUANTILES instead of the `quantiles` argument: the caller may give other quantiles"


def mistakes_for(y_true, y_pred, quantiles):
    found = {text: reference(y_true, y_pred, quantiles, **options) for text, options in MISTAKES.items()}
    if not (~np.isnan(np.asarray(y_true, dtype=np.float64))).any():
        found[NO_LABEL] = float("nan")
    if tuple(quantiles) != QUANTILES and np.shape(y_pred)[-1] in (1, len(QUANTILES)):  # it broadcasts
        found[GLOBAL] = reference(y_true, np.broadcast_to(y_pred, np.shape(y_pred)[:-1] + (len(QUANTILES),)), QUANTILES)
    return found


# ---------------------------------------------------------------- the hand-made batches
def forecasts(rng, rows, horizons, quantiles, scale=1.0):
    """Labels and quantile forecasts around them, in increasing order, off by a different amount per row."""
    y = rng.normal(0.0, 1.0, (rows, horizons))
    spread = np.sort(rng.normal(0.0, 0.8, (rows, horizons, len(quantiles))), axis=-1)
    y_pred = y[..., None] + rng.normal(0.0, 0.7, (rows, horizons, 1)) + spread
    return y * scale, y_pred * scale


def hand_made_cases():
    """(description, y_true, y_pred, quantiles or None for the default, whether each travels as a Keras tensor)."""
    rng = np.random.default_rng(88)
    first = forecasts(rng, 6, 2, QUANTILES)
    square = forecasts(rng, 5, 3, QUANTILES)
    holes = forecasts(rng, 8, 2, QUANTILES)
    holes[0][[0, 2, 3, 6, 7], [1, 0, 1, 0, 1]] = np.nan
    rows_out = forecasts(rng, 6, 3, QUANTILES)
    rows_out[0][2] = np.nan  # a whole row
    rows_out[0][:, 1] = np.nan  # and a whole horizon
    rows_out[0][4, 0] = np.nan
    one = forecasts(rng, 4, 2, (0.9,))
    one[0][1, 1] = np.nan
    other = forecasts(rng, 5, 4, (0.25, 0.5, 0.75))
    other[0][[1, 3], [2, 0]] = np.nan
    pm = forecasts(rng, 6, 2, QUANTILES, scale=90.0)
    pm = (np.abs(pm[0] + 120.0), pm[1] + 120.0)
    pm[0][3, 1] = np.nan
    nothing = forecasts(rng, 3, 2, QUANTILES)
    nothing[0][:] = np.nan
    f32 = "float32"
    return [
        (
            "5 rows x 3 horizons (as many as quantiles), every label present; float32 Keras tensors",
            square[0].astype(f32),
            square[1].astype(f32),
            None,
            (True, True),
        ),
        (
            "6 rows x 2 horizons, the default quantiles (0.1, 0.5, 0.9), every label present; NumPy float64 arrays",
            *first,
            None,
            (False, False),
        ),
        (
            "8 rows x 2 horizons, 5 labels missing (NaN); float32 Keras tensors",
            holes[0].astype(f32),
            holes[1].astype(f32),
            None,
            (True, True),
        ),
        (
            "6 rows x 3 horizons: row 2, horizon 1 and one more label missing; y_true a float64 NumPy array, y_pred a "
            "float64 Keras tensor",
            rows_out[0],
            rows_out[1],
            None,
            (False, True),
        ),
        (
            "4 rows x 2 horizons, ONE quantile: quantiles=(0.9,), y_pred of shape (4, 2, 1); one label missing; "
            "float32 Keras tensors",
            one[0].astype(f32),
            one[1].astype(f32),
            (0.9,),
            (True, True),
        ),
        (
            "5 rows x 4 horizons, quantiles=(0.25, 0.5, 0.75) (not the default), 2 labels missing; NumPy float64",
            *other,
            (0.25, 0.5, 0.75),
            (False, False),
        ),
        (
            "unscaled PM2.5 (micrograms per cubic metre, up to about 400), 6 rows x 2 horizons, one label missing; "
            "y_true a float32 Keras tensor, y_pred a float32 NumPy array",
            pm[0].astype(f32),
            pm[1].astype(f32),
            None,
            (True, False),
        ),
        (
            "3 rows x 2 horizons, EVERY label missing: nothing to learn from, the loss is 0; float32 Keras tensors",
            nothing[0].astype(f32),
            nothing[1].astype(f32),
            None,
            (True, True),
        ),
    ]


def kind(array, tensor):
    return f"{'a Keras tensor' if tensor else 'a NumPy array'} of {array.dtype} {tuple(array.shape)}"


# ---------------------------------------------------------------- inside model.fit (in the learner's process)
def failure(doing, err, path):
    """A verdict for an error raised while Keras trains or evaluates the model with the learner's loss."""
    from exercises.learner_file import keras_error

    details, text = keras_error(err, path)
    lines = [f"case: {FIT_CASE}", f"{doing} raised {type(err).__name__}:", *details]
    if "No gradients provided" in text:
        lines.append(
            "Your loss does not depend on y_pred through anything Keras can differentiate: no stop_gradient, no "
            "round or argmax, no trip through NumPy or a Python number on the way from y_pred to the loss."
        )
        return CheckFailed("\n".join(lines))
    lines.append(
        "Inside model.fit pinball_loss is given symbolic tensors: a shape and a dtype but no values yet, and the "
        "batch size may be unknown (None). NumPy cannot compute with them, and Python cannot look at their values "
        "(no `if`, float() or len() on them): write it with keras.ops only (keras.ops.where, keras.ops.isnan, "
        "keras.ops.maximum, keras.ops.sum, keras.ops.cast), counting with them too."
    )
    return CheckFailed("\n".join(lines))


SANDBOX_PRELOAD = ("keras",)  # the check trains a Keras model: the learner's process starts with keras imported
SANDBOX_PROBES = ("library_probe", "fit_probe")  # run in the learner's process (exercises/sandbox.py)


def library_probe(learner):
    """In the learner's process: a verdict if pinball_loss is missing or uses another library than keras.ops."""
    for name, value in names_used(learner.function("pinball_loss")):
        library = library_of(name, value)
        if library in OTHER_LIBRARIES:
            raise CheckFailed(
                f"pinball_loss uses {OTHER_LIBRARIES[library]} (`{name}`): that works with one Keras backend only. "
                "Write it with keras.ops (keras.ops.where, keras.ops.isnan, keras.ops.maximum, keras.ops.sum), "
                "which work with every backend."
            )


def fit_probe(learner, inputs, labels):
    """In the learner's process: train the small model with the learner's loss. Returns the loss of each epoch,
    whether every weight is still finite, the model's predictions and model.evaluate's loss, all on `inputs`."""
    import keras

    loss = learner.function("pinball_loss")
    keras.utils.set_random_seed(8)
    model = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(HORIZONS * len(QUANTILES)),
            keras.layers.Reshape((HORIZONS, len(QUANTILES))),
        ]
    )
    try:
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss)
        history = model.fit(inputs, labels, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0)
    except Exception as err:  # noqa: BLE001  (whatever the learner's code raised on symbolic tensors)
        raise failure("model.fit with your loss", err, learner.path) from None
    finite = all(bool(np.isfinite(keras.ops.convert_to_numpy(w)).all()) for w in model.weights)
    predictions = np.asarray(model.predict(inputs, batch_size=ROWS, verbose=0), dtype=np.float64)
    try:
        evaluated = model.evaluate(inputs, labels, batch_size=ROWS, verbose=0)
    except Exception as err:  # noqa: BLE001
        raise failure("model.evaluate with your loss", err, learner.path) from None
    evaluated = evaluated[0] if isinstance(evaluated, (list, tuple)) else evaluated
    return [float(v) for v in history.history["loss"]], finite, predictions, float(evaluated)


def training_data():
    """Inputs, and labels that depend on them (a fifth missing), float32 as a Keras pipeline gives them."""
    rng = np.random.default_rng(808)
    inputs = rng.normal(0.0, 1.0, (ROWS, FEATURES))
    labels = inputs @ rng.normal(0.0, 1.0, (FEATURES, HORIZONS)) + rng.normal(0.0, 0.5, (ROWS, HORIZONS))
    labels[rng.random(labels.shape) < MISSING] = np.nan
    return inputs.astype("float32"), labels.astype("float32")


# ---------------------------------------------------------------- the check
def check(learner):
    learner.probe(library_probe)
    suspects = Suspects(atol=ATOL, rtol=RTOL)  # a cause is named only when the evidence singles it out
    for number, (description, y_true, y_pred, quantiles, tensors) in enumerate(hand_made_cases()):
        case = f"#{number + 1}, {description}"
        given = [as_tensor(a) if t else a.copy() for a, t in zip((y_true, y_pred), tensors)]
        extra = () if quantiles is None else (quantiles,)
        got = learner.call("pinball_loss", *given, *extra, case=case)
        shown = f"quantiles={quantiles}" if quantiles else "the default quantiles"
        what = f"pinball_loss(y_true: {kind(y_true, tensors[0])}, y_pred: {kind(y_pred, tensors[1])}, {shown})"
        got = as_array(got, what)
        quantiles = quantiles or QUANTILES
        expected = reference(y_true, y_pred, quantiles)
        named = suspects.named(got, expected, mistakes_for(y_true, y_pred, quantiles))
        expect_close(got, expected, what, case=case, atol=ATOL, rtol=RTOL, mistakes=named)

    inputs, labels = training_data()
    losses, finite, predictions, evaluated = learner.probe(fit_probe, inputs, labels, case=FIT_CASE)
    shown = ", ".join(f"{v:.4g}" for v in losses)
    if not finite or not np.isfinite(losses).all():
        raise CheckFailed(
            f"case: {FIT_CASE}\nthe loss of each epoch was {shown}, and the model's weights "
            f"{'became NaN' if not finite else 'stayed finite'}: the gradient of your loss is NaN where a label is "
            "missing, though its value is right. Put keras.ops.where(present, y_true, 0.0) BEFORE the subtraction: "
            "a where (or a multiplication by the mask) applied after it still sends NaN into the gradient "
            "(0 * NaN is NaN)."
        )
    if not losses[-1] < losses[0]:
        raise CheckFailed(
            f"case: {FIT_CASE}\nthe loss of each epoch was {shown}: it should go down as the model learns. Does your "
            "loss depend on y_pred through keras.ops only (no NumPy, no conversion to a Python number)?"
        )
    expected = reference(labels, predictions, QUANTILES)
    expect_close(
        evaluated,
        expected,
        "model.evaluate's loss (your pinball_loss on symbolic tensors, all 96 rows in one batch)",
        case=f"{FIT_CASE}; then evaluated on the same rows, compared with the pinball loss of model.predict's output",
        atol=ATOL,
        rtol=RTOL,
    )
    return (
        "pinball_loss equals the reference on 8 batches (NumPy arrays and Keras tensors, float32 and float64, missing "
        "labels, one quantile, other quantiles, every label missing) and, as a Keras loss inside model.fit, trains "
        f"a small model with a fifth of its labels missing (loss {losses[0]:.3f} -> {losses[-1]:.3f}, finite "
        "weights)."
    )
