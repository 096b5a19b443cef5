# WRONG: sliding_window_view on a (time, features) table puts the window axis last: windows come out (n, features, window). Distinguishing: 6 x 2 table, window 3, horizon 1 -> shape (3, 2, 3) vs (3, 3, 2).
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
def window_pairs(inputs, targets, window, horizon):
    x = np.asarray(inputs)
    y = np.asarray(targets)
    n = max(len(x) - window - horizon + 1, 0)
    if n == 0:
        return np.zeros((0, window) + x.shape[1:]), np.zeros(0)
    return sliding_window_view(x, window, axis=0)[:n], y[window + horizon - 1:]
