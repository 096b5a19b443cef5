# RIGHT: explicit loops over the hidden units.
import numpy as np
def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    hidden = len(h)
    da = np.array([dh[i] * (1 - h[i] * h[i]) for i in range(hidden)])
    gW_xh = np.zeros((hidden, len(x)))
    gW_hh = np.zeros((hidden, hidden))
    g_h = np.zeros(hidden)
    for i in range(hidden):
        gW_xh[i, :] = da[i] * x
        gW_hh[i, :] = da[i] * h_prev
        g_h += W_hh[i, :] * da[i]
    grads = dict(b_h=da)
    grads["W_xh"], grads["W_hh"], grads["h_prev"] = gW_xh, gW_hh, g_h
    return grads
