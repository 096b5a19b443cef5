# WRONG: the missing labels get a loss of 0 but still count in the mean (keras.ops.mean over every label). Distinguishing: y=[[nan, 1.]], y_pred zeros -> half the right loss.
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    present = keras.ops.logical_not(keras.ops.isnan(y_true))
    y = keras.ops.where(present, y_true, 0.0)
    e = keras.ops.expand_dims(y, -1) - y_pred
    q = keras.ops.convert_to_tensor(quantiles, dtype=y_pred.dtype)
    loss = keras.ops.maximum(q * e, (q - 1) * e)
    return keras.ops.mean(keras.ops.where(keras.ops.expand_dims(present, -1), loss, 0.0))
