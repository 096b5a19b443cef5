# WRONG: the label counted from the window's first row, targets[i + horizon]. Distinguishing: [0..5], window 3, horizon 1 -> labels [1,2,3] vs [3,4,5].
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    n = max(len(inputs) - window - horizon + 1, 0)
    windows = np.stack([inputs[i:i + window] for i in range(n)]) if n else np.zeros((0, window) + inputs.shape[1:])
    labels = targets[np.arange(n) + horizon]
    return windows, labels
