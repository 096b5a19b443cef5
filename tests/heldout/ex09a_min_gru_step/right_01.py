# RIGHT: the @ operator and the interpolation form h_prev + z * (candidate - h_prev).
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    x_t = keras.ops.convert_to_tensor(x_t)
    z = keras.ops.sigmoid(x_t @ keras.ops.cast(w_z, x_t.dtype) + keras.ops.cast(b_z, x_t.dtype))
    cand = g(x_t @ keras.ops.cast(w_h, x_t.dtype) + keras.ops.cast(b_h, x_t.dtype))
    h_prev = keras.ops.cast(h_prev, x_t.dtype)
    return h_prev + z * (cand - h_prev)
