# RIGHT: row-vector form with transposes: x @ W_xh.T + h_prev @ W_hh.T.
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    pre = np.asarray(x) @ np.asarray(W_xh).T + np.asarray(h_prev) @ np.asarray(W_hh).T
    return np.tanh(pre + b_h)
