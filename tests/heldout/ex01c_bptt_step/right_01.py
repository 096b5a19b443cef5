# RIGHT: einsum and broadcasting instead of np.outer.
import numpy as np
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    da = np.multiply(dh, 1.0 - np.square(h))
    return {
        "W_xh": da[:, None] * x[None, :],
        "W_hh": np.einsum("i,j->ij", da, h_prev),
        "b_h": np.array(da),
        "h_prev": da @ W_hh,
    }
