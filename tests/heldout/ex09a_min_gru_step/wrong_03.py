# WRONG: tanh for the candidate instead of g. Distinguishing: any pre-activation (tanh(0) = 0, g(0) = 0.5).
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z) + b_z)
    candidate = keras.ops.tanh(keras.ops.matmul(x_t, w_h) + b_h)
    return (1 - z) * h_prev + z * candidate
