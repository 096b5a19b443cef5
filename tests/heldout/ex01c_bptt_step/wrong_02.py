# WRONG: W_hh gradient transposed: outer(h_prev, da). Same shape, so only the values are wrong. Distinguishing: hidden=2, da and h_prev not parallel.
import numpy as np
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = dh * (1 - h**2)
    return {"W_xh": np.outer(da, x), "W_hh": np.outer(h_prev, da), "b_h": da, "h_prev": W_hh.T @ da}
