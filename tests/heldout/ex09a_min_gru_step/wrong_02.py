# WRONG: z and 1 - z swapped, h = z * h_prev + (1 - z) * candidate (lesson 02's Keras GRU). Distinguishing: any step where z != 0.5.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z) + b_z)
    h_tilde = g(keras.ops.matmul(x_t, w_h) + b_h)
    return z * h_prev + (1 - z) * h_tilde
