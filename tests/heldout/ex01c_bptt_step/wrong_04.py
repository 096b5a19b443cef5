# WRONG: the h_prev gradient skips the tanh derivative (W_hh.T @ dh). Distinguishing: h != 0.
import numpy as np
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h**2)
    return {"W_xh": np.outer(da, x), "W_hh": np.outer(da, h_prev), "b_h": da, "h_prev": W_hh.T @ dh}
