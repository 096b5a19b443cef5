# WRONG: its own candidate activation, relu(x) + 0.5: right above 0, but 0.5 instead of sigmoid(x) below (matches no named mistake). Distinguishing: a negative pre-activation.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z) + b_z)
    candidate = keras.ops.relu(keras.ops.matmul(x_t, w_h) + b_h) + 0.5
    return (1 - z) * h_prev + z * candidate
