# WRONG: the candidate added without its gate, (1 - z) * h_prev + candidate. Distinguishing: any z != 1.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z) + b_z)
    return (1 - z) * h_prev + g(keras.ops.matmul(x_t, w_h) + b_h)
