# WRONG: candidate g uses sigmoid instead of tanh. Distinguishing: negative z_g, e.g. bias g-part = -2.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    c = sigmoid(zf) * c_prev + sigmoid(zi) * sigmoid(zg)
    return sigmoid(zo) * np.tanh(c), c
