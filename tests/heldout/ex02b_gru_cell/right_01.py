# RIGHT: per-gate slices of the kernels by units, sigmoid via tanh, no np.split.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    u = recurrent_kernel.shape[0]
    b_in, b_rec = bias[0], bias[1]
    part = lambda k: (x @ kernel[:, k * u:(k + 1) * u] + b_in[k * u:(k + 1) * u],
                      h_prev @ recurrent_kernel[:, k * u:(k + 1) * u] + b_rec[k * u:(k + 1) * u])
    (xz, hz), (xr, hr), (xh, hh) = part(0), part(1), part(2)
    sig = lambda v: 0.5 * (1 + np.tanh(v / 2))
    z = sig(xz + hz)
    r = sig(xr + hr)
    return z * h_prev + (1 - z) * np.tanh(xh + r * hh)
