# RIGHT: a Python loop over the pair starts, np.array of each list; the empty case built with np.empty and the window's shape.
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    xs, ys = [], []
    for i in range(len(inputs) - window - horizon + 1):
        xs.append(inputs[i:i + window])
        ys.append(targets[i + window - 1 + horizon])
    if not xs:
        return np.empty((0, window) + inputs.shape[1:]), np.empty(0)
    return np.array(xs), np.array(ys)
