# WRONG: bias gradient is dh instead of da. Distinguishing: h=[0.5], dh=[1] -> 1 instead of 0.75.
import numpy as np
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h * h)
    return {"W_xh": np.outer(da, x), "W_hh": np.outer(da, h_prev), "b_h": dh.copy(), "h_prev": W_hh.T @ da}
