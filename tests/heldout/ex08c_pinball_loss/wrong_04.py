# WRONG: the mean absolute error over the present labels, the same for every quantile. Distinguishing: y=[[1.]], y_pred zeros (1, 1, 3), quantiles default -> 1 vs 0.5.
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    present = keras.ops.logical_not(keras.ops.isnan(y_true))
    y = keras.ops.where(present, y_true, 0.0)
    err = keras.ops.abs(keras.ops.expand_dims(y, -1) - y_pred)
    w = keras.ops.expand_dims(keras.ops.cast(present, y_pred.dtype), -1)
    return keras.ops.sum(err * w) / keras.ops.maximum(keras.ops.sum(w) * len(quantiles), 1.0)
