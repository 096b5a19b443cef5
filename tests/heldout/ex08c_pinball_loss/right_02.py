# RIGHT: a Python loop over the quantiles (a tuple, fine inside model.fit), the mean over quantiles per label, divide_no_nan at the end.
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    missing = keras.ops.isnan(y_true)
    y = keras.ops.where(missing, 0.0, y_true)
    losses = []
    for k, q in enumerate(quantiles):
        e = y - y_pred[..., k]
        losses.append(keras.ops.maximum(q * e, (q - 1) * e))
    per_label = keras.ops.mean(keras.ops.stack(losses, axis=-1), axis=-1)
    present = keras.ops.cast(keras.ops.logical_not(missing), y_pred.dtype)
    return keras.ops.divide_no_nan(keras.ops.sum(per_label * present), keras.ops.sum(present))
