# WRONG: 0.5 * (|e| + (2q - 1) e) computed on the raw labels, the missing ones dropped with where AFTER: the value is right but its gradient is NaN where a label is missing (TensorFlow), so training turns the weights into NaN. Distinguishing: model.fit with NaN labels.
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    y_pred = keras.ops.convert_to_tensor(y_pred)
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    present = keras.ops.expand_dims(keras.ops.logical_not(keras.ops.isnan(y_true)), -1)
    e = keras.ops.expand_dims(y_true, -1) - y_pred
    q = keras.ops.convert_to_tensor(quantiles, dtype=y_pred.dtype)
    loss = 0.5 * (keras.ops.abs(e) + (2.0 * q - 1.0) * e)
    loss = keras.ops.where(present, loss, 0.0)
    n = keras.ops.sum(keras.ops.cast(present, y_pred.dtype)) * len(quantiles)
    return keras.ops.sum(loss) / keras.ops.maximum(n, 1.0)
