# WRONG: each split standardised with its own mean and std (returns train's). Distinguishing: train [[0],[2]], test [[10],[12]] -> test scaled [-1, 1] vs [9, 11].
import numpy as np
def standardise(splits):
    scaled = {}
    for name, rows in splits.items():
        rows = np.asarray(rows, dtype=float)
        m = np.nanmean(rows, axis=0)
        s = np.nanstd(rows, axis=0)
        s[s == 0] = 1
        scaled[name] = (rows - m) / s
    train = np.asarray(splits["train"], dtype=float)
    std = np.nanstd(train, axis=0)
    std[std == 0] = 1
    return scaled, (np.nanmean(train, axis=0), std)
