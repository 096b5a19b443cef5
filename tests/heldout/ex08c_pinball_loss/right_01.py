# RIGHT: q * relu(e) + (1 - q) * relu(-e) on labels with the NaN replaced first; divided by max(count, 1).
import keras
QUANTILES = (0.1, 0.5, 0.9)
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    y_pred = keras.ops.convert_to_tensor(y_pred, dtype="float32")
    y_true = keras.ops.convert_to_tensor(y_true, dtype="float32")
    ok = keras.ops.logical_not(keras.ops.isnan(y_true))
    clean = keras.ops.where(ok, y_true, keras.ops.zeros_like(y_true))
    q = keras.ops.reshape(keras.ops.array(quantiles, dtype="float32"), (1, 1, -1))
    e = clean[:, :, None] - y_pred
    per = q * keras.ops.relu(e) + (1.0 - q) * keras.ops.relu(-e)
    mask = keras.ops.cast(ok, "float32")[:, :, None]
    count = keras.ops.sum(mask) * len(quantiles)
    return keras.ops.sum(per * mask) / keras.ops.maximum(count, 1.0)
