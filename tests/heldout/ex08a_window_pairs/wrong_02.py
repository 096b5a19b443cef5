# WRONG: the horizon only sets how many pairs there are; the label is always the hour right after the window. Distinguishing: [0..5], window 2, horizon 3 -> labels [2] vs [4].
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    n = max(len(inputs) - window - horizon + 1, 0)
    windows = np.array([inputs[i:i + window] for i in range(n)]).reshape((n, window) + inputs.shape[1:])
    labels = np.array([targets[i + window] for i in range(n)])
    return windows, labels
