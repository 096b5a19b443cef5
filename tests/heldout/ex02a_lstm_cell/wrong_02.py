# WRONG: h = o * c (forgets the tanh on the cell). Distinguishing: any c with |c| not tiny, e.g. bias 5 on i,g,o.

import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    zi, zf, zg, zo = np.split(z, 4, axis=-1)
    c = sigmoid(zf) * c_prev + sigmoid(zi) * np.tanh(zg)
    return sigmoid(zo) * c, c
