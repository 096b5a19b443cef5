# RIGHT: preallocated output array filled by index.
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)
def rnn_forward(xs, W_xh, W_hh, b_h, h0=None):
    xs = np.asarray(xs)
    hidden = W_xh.shape[0]
    out = np.empty((xs.shape[0], hidden))
    h = np.zeros(hidden) if h0 is None else np.array(h0, dtype=float)
    for t in range(xs.shape[0]):
        h = rnn_step(xs[t], h, W_xh, W_hh, b_h)
        out[t] = h
    return out
