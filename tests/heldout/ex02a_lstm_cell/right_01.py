# RIGHT: slices by units = recurrent_kernel.shape[0], separate per-gate matmuls, sigmoid written via tanh.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    u = recurrent_kernel.shape[0]
    sig = lambda v: 0.5 * (1.0 + np.tanh(0.5 * v))
    gate = lambda k: x @ kernel[:, k * u:(k + 1) * u] + h_prev @ recurrent_kernel[:, k * u:(k + 1) * u] + bias[k * u:(k + 1) * u]
    i, f, g, o = sig(gate(0)), sig(gate(1)), np.tanh(gate(2)), sig(gate(3))
    c = f * c_prev + i * g
    return o * np.tanh(c), c
