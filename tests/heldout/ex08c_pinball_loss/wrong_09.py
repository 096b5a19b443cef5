# WRONG: always uses the module's QUANTILES, whatever `quantiles` the caller gives. Distinguishing: quantiles=(0.25, 0.5, 0.75) -> the loss for (0.1, 0.5, 0.9).
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    present = keras.ops.logical_not(keras.ops.isnan(y_true))
    y = keras.ops.where(present, y_true, 0.0)
    e = keras.ops.expand_dims(y, -1) - y_pred
    q = keras.ops.convert_to_tensor(QUANTILES, dtype=y_pred.dtype)
    loss = keras.ops.maximum(q * e, (q - 1) * e)
    w = keras.ops.expand_dims(keras.ops.cast(present, y_pred.dtype), -1)
    return keras.ops.sum(loss * w) / keras.ops.maximum(keras.ops.sum(w) * len(QUANTILES), 1.0)
