# WRONG: clips the pre-activation to [-5, 5] "for stability", so saturated units give tanh(5)=0.99991 instead of 1.0. Distinguishing: b_h=[10], zero weights.
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    a = W_hh @ h_prev + W_xh @ x + b_h
    return np.tanh(np.clip(a, -5.0, 5.0))
