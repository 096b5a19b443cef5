# WRONG: gate order r, z, candidate (swaps the first two blocks). Distinguishing: random weights.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    xr, xz, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hr, hz, hh = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z = sigmoid(xz + hz); r = sigmoid(xr + hr)
    cand = np.tanh(xh + r * hh)
    return z * h_prev + (1 - z) * cand
