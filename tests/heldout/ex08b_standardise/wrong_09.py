# WRONG: assumes the splits are always train, val and test: a dict with only "train" and "test" raises KeyError. Distinguishing: {"train": [[0],[2]], "test": [[1]]}.
import numpy as np
def standardise(splits):
    train = np.asarray(splits["train"], dtype=float)
    mean = np.nanmean(train, axis=0)
    std = np.nanstd(train, axis=0)
    std[std == 0] = 1.0
    scale = lambda rows: (np.asarray(rows, dtype=float) - mean) / std
    return {"train": scale(splits["train"]), "val": scale(splits["val"]), "test": scale(splits["test"])}, (mean, std)
