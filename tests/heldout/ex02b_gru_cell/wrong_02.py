# WRONG: reset_after=False style: candidate = tanh(x_h + (r*h_prev) @ U_h + b1_h). Distinguishing: random weights.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    u = h_prev.shape[-1]
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hz, hr, _ = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z = sigmoid(xz + hz); r = sigmoid(xr + hr)
    cand = np.tanh(xh + (r * h_prev) @ recurrent_kernel[:, 2 * u:] + bias[1][2 * u:])
    return z * h_prev + (1 - z) * cand
