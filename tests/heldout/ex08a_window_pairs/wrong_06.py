# WRONG: every window, then the last n of them: windows[i] starts `horizon` rows late, next to its label instead of before it. Distinguishing: [0..5], window 2, horizon 2 -> windows [[2,3],[3,4]]... vs [[0,1],[1,2],[2,3]].
import numpy as np
def window_pairs(inputs, targets, window, horizon):
    x = np.asarray(inputs)
    y = np.asarray(targets)
    all_windows = np.array([x[i:i + window] for i in range(len(x) - window + 1)])
    labels = y[window - 1 + horizon:]
    windows = all_windows[len(all_windows) - len(labels):]
    return windows, labels
