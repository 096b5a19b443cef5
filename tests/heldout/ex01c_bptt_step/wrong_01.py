# WRONG: recomputes tanh on h (uses 1 - tanh(h)**2 instead of 1 - h**2). Distinguishing: h=[0.9], dh=[1].
import numpy as np
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - np.tanh(h) ** 2)
    return {"W_xh": np.outer(da, x), "W_hh": np.outer(da, h_prev), "b_h": da, "h_prev": W_hh.T @ da}
