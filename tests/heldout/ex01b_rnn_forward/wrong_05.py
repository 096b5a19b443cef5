# WRONG: zeros of size features (xs.shape[1]) instead of hidden; only runs when features == hidden. Distinguishing: features=3, hidden=2 -> ValueError.
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)
def rnn_forward(xs, W_xh, W_hh, b_h, h0=None):
    h = np.zeros(xs.shape[1]) if h0 is None else h0
    states = []
    for x in xs:
        h = rnn_step(x, h, W_xh, W_hh, b_h)
        states.append(h)
    return np.stack(states)
