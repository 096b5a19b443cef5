# WRONG: reshapes z to (batch, units, 4) (interleaved gates) instead of four contiguous blocks. Distinguishing: units=2, random weights.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    units = h_prev.shape[-1]
    z = z.reshape(z.shape[0], units, 4)
    i, f, g, o = sigmoid(z[..., 0]), sigmoid(z[..., 1]), np.tanh(z[..., 2]), sigmoid(z[..., 3])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
