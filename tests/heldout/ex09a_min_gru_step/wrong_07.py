# WRONG: the gate computed from the previous state, sigmoid(h_prev @ w_z + b_z), as a GRU's recurrent part. Distinguishing: inputs = units = 3 (otherwise a shape error).
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(keras.ops.matmul(h_prev, w_z) + b_z)
    candidate = g(keras.ops.matmul(x_t, w_h) + b_h)
    return (1 - z) * h_prev + z * candidate
