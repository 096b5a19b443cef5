# RIGHT: labels by slicing from the first label's hour; windows by np.stack of slices, reshaped so that no pair keeps its axes.
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    inputs = np.array(inputs)
    targets = np.array(targets)
    first = window + horizon - 1
    labels = targets[first:]
    windows = [inputs[i:i + window] for i in range(len(labels))]
    windows = np.reshape(windows, (len(labels), window) + inputs.shape[1:])
    return windows, labels
