# WRONG: textbook update h = (1-z)*h_prev + z*candidate. Distinguishing: random weights, units=3.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    xz, xr, xh = np.split(x @ kernel + bias[0], 3, axis=-1)
    hz, hr, hh = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z = sigmoid(xz + hz); r = sigmoid(xr + hr)
    cand = np.tanh(xh + r * hh)
    return (1 - z) * h_prev + z * cand
