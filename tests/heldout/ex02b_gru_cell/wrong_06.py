# WRONG: the reset gate uses only the input part: r = sigmoid(x_r) (forgets h_r). Distinguishing: random weights with h_prev != 0.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hz, hr, hh = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z = sigmoid(xz + hz)
    r = sigmoid(xr)
    cand = np.tanh(xh + r * hh)
    return z * h_prev + (1 - z) * cand
