# WRONG: scales the caller's arrays in place (rows -= mean; rows /= std). Distinguishing: the arrays in `splits` are changed after the call.
import numpy as np
def standardise(splits):
    mean = np.nanmean(splits["train"], axis=0)
    std = np.nanstd(splits["train"], axis=0)
    std[std == 0] = 1.0
    for rows in splits.values():
        rows -= mean
        rows /= std
    return dict(splits), (mean, std)
