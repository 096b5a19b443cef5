# RIGHT: reshape into (batch, 3, units); written as h_prev + (1-z)*(cand - h_prev).

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    b = x.shape[0]
    xi = (np.dot(x, kernel) + bias[0]).reshape(b, 3, -1)
    hi = (np.dot(h_prev, recurrent_kernel) + bias[1]).reshape(b, 3, -1)
    zr = sigmoid(xi[:, :2] + hi[:, :2])
    z, r = zr[:, 0], zr[:, 1]
    cand = np.tanh(xi[:, 2] + r * hi[:, 2])
    return h_prev + (1 - z) * (cand - h_prev)
