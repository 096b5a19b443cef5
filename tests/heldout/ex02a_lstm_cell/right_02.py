# RIGHT: concatenates [x, h_prev] and stacks the kernels; reshape (batch, 4, units).

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    xh = np.concatenate([x, h_prev], axis=1)
    W = np.vstack([kernel, recurrent_kernel])
    z = (xh @ W + bias).reshape(x.shape[0], 4, -1)
    i, f, o = sigmoid(z[:, 0]), sigmoid(z[:, 1]), sigmoid(z[:, 3])
    g = np.tanh(z[:, 2])
    c = np.add(f * c_prev, i * g)
    h = o * np.tanh(c)
    return (h, c)
