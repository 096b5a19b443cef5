# WRONG: records the state before updating it: returns h_0 .. h_{T-1}. Distinguishing: any xs, row 0 is h0 (zeros).
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)
def rnn_forward(xs, W_xh, W_hh, b_h, h0=None):
    h = np.zeros(W_hh.shape[0]) if h0 is None else h0
    states = []
    for x in xs:
        states.append(h)
        h = rnn_step(x, h, W_xh, W_hh, b_h)
    return np.stack(states)
