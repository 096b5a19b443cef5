# WRONG: adds the bias after the tanh: tanh(W_hh h + W_xh x) + b_h. Distinguishing: zero weights, b_h=[0.5] -> 0.5 instead of tanh(0.5).
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x) + b_h
