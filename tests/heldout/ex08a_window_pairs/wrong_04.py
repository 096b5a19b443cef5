# WRONG: np.array of an empty list when no pair fits: windows of shape (0,), not (0, window, features). Distinguishing: 5 x 2 table, window 4, horizon 2.
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    windows, labels = [], []
    for i in range(len(inputs) - window - horizon + 1):
        windows.append(np.asarray(inputs[i:i + window]))
        labels.append(targets[i + window + horizon - 1])
    return np.array(windows), np.array(labels)
