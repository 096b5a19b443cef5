# WRONG: writes the result into h_prev in place (np.tanh(..., out=h_prev)) and returns it, clobbering the caller's previous state. Distinguishing: h_prev=[1.,0.] is changed after the call; the reference unroll (ex01b) then returns every row equal to the last state.
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    a = W_hh @ h_prev + W_xh @ x + b_h
    return np.tanh(a, out=h_prev)
