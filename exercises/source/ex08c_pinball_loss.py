"""Exercise ex08c (lesson 08): the quantile (pinball) loss, written with keras.ops.

Lesson 08's probabilistic model does not forecast one PM2.5 value per horizon but three quantiles:
0.1, 0.5 and 0.9 (90% of the time PM2.5 should come out below the 0.9 forecast, 10% below the 0.1
one). It learns them with the pinball loss: for a quantile q and the error e = y - prediction,

    loss = max(q * e, (q - 1) * e)

A forecast too low (e > 0) costs q * e, one too high costs (1 - q) * (-e): for q = 0.9,
forecasting too low is nine times as costly as too high, so the model learns to forecast high.

    y_true     (batch, horizons) labels; NaN marks a missing label (PM2.5 was not measured that
               hour), which counts for nothing
    y_pred     (batch, horizons, len(quantiles)) the predicted quantiles, in the order of `quantiles`
    quantiles  a tuple of floats in (0, 1), e.g. QUANTILES or (0.5,)
Return one number: the mean of the loss over every PRESENT label and every quantile (0 when no
label is present at all).

  - Use keras.ops only (keras.ops.where, keras.ops.maximum, keras.ops.isnan, ...), no TensorFlow:
    lesson 08 (`make lesson08`) trains its quantile model with this loss (model.compile(loss=...)),
    and inside model.fit it gets symbolic tensors, on any Keras backend. Called directly, it may
    also get NumPy arrays; y_true and y_pred are both float32 or both float64.
  - A missing label must not reach the arithmetic: NaN - prediction is NaN, and a NaN, even one
    multiplied by 0 afterwards, makes the loss or its gradient NaN.

The check compares your loss with its own on hand-made batches, then trains a small Keras model
with it (labels missing included): the loss must stay finite and go down.

Your task: write `pinball_loss`.
Check it:  make check EX=ex08c        Stuck?  make hint EX=ex08c
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import keras

QUANTILES = (0.1, 0.5, 0.9)


def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    """Mean pinball loss over every label present and every quantile."""
    # TODO: a mask of the present labels (keras.ops.isnan); put 0 in place of the missing labels with
    #       keras.ops.where BEFORE subtracting; the error per quantile (give y_true a quantile axis);
    #       the pinball loss; then its sum over the present labels divided by how many terms that is.
    # BEGIN SOLUTION
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    present = keras.ops.logical_not(keras.ops.isnan(y_true))  # (batch, horizons)
    y = keras.ops.where(present, y_true, keras.ops.zeros_like(y_true))  # no NaN left to subtract
    q = keras.ops.convert_to_tensor(quantiles, dtype=y_pred.dtype)  # (quantiles,): the last axis of y_pred
    error = keras.ops.expand_dims(y, -1) - y_pred  # (batch, horizons, quantiles)
    loss = keras.ops.maximum(q * error, (q - 1.0) * error)
    weight = keras.ops.expand_dims(keras.ops.cast(present, y_pred.dtype), -1)  # 0 for a missing label
    terms = keras.ops.sum(weight) * len(quantiles)
    return keras.ops.sum(loss * weight) / keras.ops.maximum(terms, 1.0)
    # END SOLUTION
