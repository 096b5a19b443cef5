# RIGHT: sliding_window_view (window axis moved back from the end with moveaxis), cut to the windows whose label exists.
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
def window_pairs(inputs, targets, window, horizon):
    x = np.asarray(inputs, dtype=float)
    y = np.asarray(targets, dtype=float)
    n = len(x) - window - horizon + 1
    if n <= 0:
        return np.zeros((0, window, *x.shape[1:])), np.zeros(0)
    views = sliding_window_view(x, window, axis=0)  # (time - window + 1, [features,] window)
    views = np.moveaxis(views, -1, 1)
    return views[:n].copy(), y[window - 1 + horizon:]
