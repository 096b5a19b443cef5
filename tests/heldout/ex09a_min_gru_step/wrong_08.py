# WRONG: the gate built from w_h, b_h and the candidate from w_z, b_z (the weights mixed up). Distinguishing: random w_z != w_h.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_h) + b_h)
    candidate = g(keras.ops.matmul(x_t, w_z) + b_z)
    return (1 - z) * h_prev + z * candidate
