# WRONG: the gate's bias b_z is left out. Distinguishing: any b_z != 0.
import numpy as np
import keras
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z))
    candidate = g(keras.ops.matmul(x_t, w_h) + b_h)
    return (1 - z) * h_prev + z * candidate
