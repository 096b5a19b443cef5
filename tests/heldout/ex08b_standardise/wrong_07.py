# WRONG: takes the training rows to be the first split in the dict, not splits["train"]. Distinguishing: {"test": [[10],[12]], "train": [[0],[2]]}.
import numpy as np
def standardise(splits):
    names = list(splits)
    train = np.asarray(splits[names[0]], dtype=float)
    mean = np.nanmean(train, axis=0)
    std = np.nanstd(train, axis=0)
    std[std == 0] = 1.0
    return {k: (np.asarray(splits[k], dtype=float) - mean) / std for k in names}, (mean, std)
