# WRONG: label one hour late, targets[i + window + horizon] (one pair fewer). Distinguishing: inputs=targets=[0..5], window 2, horizon 1 -> labels [3,4,5] vs [2,3,4,5].
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    n = max(len(inputs) - window - horizon, 0)
    windows = np.array([inputs[i:i + window] for i in range(n)]).reshape((n, window) + inputs.shape[1:])
    labels = np.array([targets[i + window + horizon] for i in range(n)])
    return windows, labels
