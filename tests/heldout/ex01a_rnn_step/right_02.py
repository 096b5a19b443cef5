# RIGHT: einsum and np.dot, built up in steps.
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    a = np.einsum("hf,f->h", W_xh, x)
    a = a + np.dot(W_hh, h_prev)
    a = a + b_h
    return np.tanh(a)
