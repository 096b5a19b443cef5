# WRONG: includes h0 as the first row (time+1 rows). Distinguishing: any xs, e.g. time=3 -> shape (4, hidden).
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)
def rnn_forward(xs, W_xh, W_hh, b_h, h0=None):
    h = np.zeros(W_hh.shape[0]) if h0 is None else h0
    states = [h]
    for x in xs:
        h = rnn_step(x, h, W_xh, W_hh, b_h)
        states.append(h)
    return np.array(states)
