# WRONG: the missing labels are never removed: any NaN in y_true makes the loss NaN. Distinguishing: y=[[nan, 1.]], y_pred zeros (1, 2, 3).
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    y_pred = keras.ops.convert_to_tensor(y_pred)
    e = keras.ops.expand_dims(keras.ops.cast(y_true, y_pred.dtype), -1) - y_pred
    q = keras.ops.convert_to_tensor(quantiles, dtype=y_pred.dtype)
    return keras.ops.mean(keras.ops.maximum(q * e, (q - 1) * e))
