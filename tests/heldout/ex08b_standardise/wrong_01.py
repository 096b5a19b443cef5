# WRONG: mean and std over every split stacked together: the validation and test rows leak into the scaling. Distinguishing: train [[0],[2]], test [[10]] -> mean 4 vs 1.
import numpy as np
def standardise(splits):
    everything = np.concatenate([np.asarray(v, dtype=float) for v in splits.values()], axis=0)
    mean = np.nanmean(everything, axis=0)
    std = np.nanstd(everything, axis=0)
    std = np.where(std == 0, 1.0, std)
    return {k: (np.asarray(v, dtype=float) - mean) / std for k, v in splits.items()}, (mean, std)
