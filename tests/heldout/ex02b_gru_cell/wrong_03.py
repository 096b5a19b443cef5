# WRONG: adds both bias rows to the input part (x@kernel + bias[0] + bias[1]); the recurrent bias of the candidate is then not scaled by r. Distinguishing: zero weights, bias[1] candidate part = 1, bias[0] r part = -5 (r small).

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    xz, xr, xh = np.split(x @ kernel + bias.sum(axis=0), 3, axis=-1)
    hz, hr, hh = np.split(h_prev @ recurrent_kernel, 3, axis=-1)
    z = sigmoid(xz + hz); r = sigmoid(xr + hr)
    cand = np.tanh(xh + r * hh)
    return z * h_prev + (1 - z) * cand
