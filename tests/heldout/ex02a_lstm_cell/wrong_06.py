# WRONG: units taken from h_prev.shape[0] (the batch axis) when slicing z; right only when batch == units. Distinguishing: batch=2, units=3.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    u = h_prev.shape[0]
    i = sigmoid(z[:, 0:u]); f = sigmoid(z[:, u:2 * u]); g = np.tanh(z[:, 2 * u:3 * u]); o = sigmoid(z[:, 3 * u:4 * u])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
