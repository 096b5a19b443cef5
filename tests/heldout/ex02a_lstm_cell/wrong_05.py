# WRONG: returns (c, h) instead of (h, c). Distinguishing: any nonzero input.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    c = sigmoid(zf) * c_prev + sigmoid(zi) * np.tanh(zg)
    h = sigmoid(zo) * np.tanh(c)
    return c, h
