# RIGHT: where on the label before the subtraction, where again on the loss, count_nonzero for the present labels, a 0 for an empty batch via where on a safe denominator.
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    dtype = "float64" if str(getattr(y_pred, "dtype", "")).endswith("64") else "float32"
    y_pred = keras.ops.cast(y_pred, dtype)
    y_true = keras.ops.cast(y_true, dtype)
    have = ~keras.ops.isnan(y_true)
    y = keras.ops.where(have, y_true, y_pred[..., 0] * 0)
    err = keras.ops.expand_dims(y, axis=2) - y_pred
    q = keras.ops.convert_to_tensor(list(quantiles), dtype=dtype)
    loss = keras.ops.where(err >= 0, q * err, (q - 1) * err)
    loss = keras.ops.where(keras.ops.expand_dims(have, 2), loss, 0.0)
    n = keras.ops.cast(keras.ops.count_nonzero(have), dtype) * len(quantiles)
    safe = keras.ops.where(n > 0, n, 1.0)
    return keras.ops.sum(loss) / safe
