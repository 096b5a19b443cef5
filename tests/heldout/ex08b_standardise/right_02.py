# RIGHT: the statistics by hand: sums and counts over the present values only, sqrt of the mean squared deviation (ddof=0).
import numpy as np
def standardise(splits):
    x = np.asarray(splits["train"], dtype=np.float64)
    present = ~np.isnan(x)
    count = present.sum(axis=0)
    mean = np.where(present, x, 0.0).sum(axis=0) / count
    var = np.where(present, (x - mean) ** 2, 0.0).sum(axis=0) / count
    std = np.sqrt(var)
    std = np.where(std > 0, std, 1.0)
    return dict((k, (v - mean) / std) for k, v in splits.items()), (mean, std)
