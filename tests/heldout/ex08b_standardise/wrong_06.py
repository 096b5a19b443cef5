# WRONG: ddof=1 (pandas' sample std) instead of np.nanstd's ddof=0. Distinguishing: train [[0],[2]] -> std 1.414 vs 1.
import numpy as np
def standardise(splits):
    train = np.asarray(splits["train"], dtype=float)
    mean = np.nanmean(train, axis=0)
    std = np.nanstd(train, axis=0, ddof=1)
    std[std == 0] = 1.0
    return {k: (np.asarray(v, dtype=float) - mean) / std for k, v in splits.items()}, (mean, std)
