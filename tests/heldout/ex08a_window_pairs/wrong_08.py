# WRONG: assumes a (time, features) table: a single series (time,) fails on inputs.shape[1]. Distinguishing: inputs=targets=np.arange(6.0), window 2, horizon 1.
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    inputs = np.asarray(inputs, dtype=float)
    targets = np.asarray(targets, dtype=float)
    n = max(len(inputs) - window - horizon + 1, 0)
    windows = np.zeros((n, window, inputs.shape[1]))
    labels = np.zeros(n)
    for i in range(n):
        windows[i] = inputs[i:i + window]
        labels[i] = targets[i + window - 1 + horizon]
    return windows, labels
