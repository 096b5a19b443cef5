# WRONG: the reset gate scales the input part too: tanh(r * (x_h + h_h)). Distinguishing: random weights with x != 0.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hz, hr, hh = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z = sigmoid(xz + hz); r = sigmoid(xr + hr)
    cand = np.tanh(r * (xh + hh))
    return z * h_prev + (1 - z) * cand
