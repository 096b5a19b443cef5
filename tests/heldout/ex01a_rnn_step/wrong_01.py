# WRONG: uses W_hh.T (row-vector habit h_prev @ W_hh). Distinguishing: hidden=2, non-symmetric W_hh=[[0,1],[0,0]], h_prev=[1,0], x=0, b=0.
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(h_prev @ W_hh + W_xh @ x + b_h)
