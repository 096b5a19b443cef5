# RIGHT: keras.ops.einsum for the products, the candidate activation written out with where and relu.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    gate = keras.ops.einsum("bi,iu->bu", x_t, w_z) + b_z
    z = 1 / (1 + keras.ops.exp(-gate))
    pre = keras.ops.einsum("bi,iu->bu", x_t, w_h) + b_h
    candidate = keras.ops.where(pre >= 0, keras.ops.relu(pre) + 0.5, keras.ops.sigmoid(pre))
    new = (1 - z) * h_prev
    return new + z * candidate
