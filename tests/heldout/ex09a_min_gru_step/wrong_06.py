# WRONG: element-wise products x_t * w instead of matrix products (runs only when the shapes broadcast). Distinguishing: batch = inputs = units = 3.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(x_t * w_z + b_z)
    candidate = g(x_t * w_h + b_h)
    return (1 - z) * h_prev + z * candidate
