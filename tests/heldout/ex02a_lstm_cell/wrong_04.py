# WRONG: adds 1 to the forget gate's pre-activation (confusing unit_forget_bias, an initialiser, with the forward pass). Distinguishing: all-zero weights, c_prev=1 -> f=sigmoid(1) not 0.5.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    c = sigmoid(zf + 1.0) * c_prev + sigmoid(zi) * np.tanh(zg)
    return sigmoid(zo) * np.tanh(c), c
