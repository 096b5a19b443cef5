# WRONG: range(len - window - horizon) drops the last pair whose label exists. Distinguishing: [0..5], window 2, horizon 1 -> 3 pairs vs 4.
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    idx = np.arange(max(len(inputs) - window - horizon, 0))
    windows = inputs[idx[:, None] + np.arange(window)]
    labels = targets[idx + window + horizon - 1]
    return windows, labels
