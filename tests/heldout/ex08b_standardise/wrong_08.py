# WRONG: min-max scaling to [0, 1] with the training min and max, returned as (min, max - min). Distinguishing: train [[0],[1],[5]] -> [0, 0.2, 1] vs standardised.
import numpy as np
def standardise(splits):
    train = np.asarray(splits["train"], dtype=float)
    low = np.nanmin(train, axis=0)
    span = np.nanmax(train, axis=0) - low
    span[span == 0] = 1.0
    return {k: (np.asarray(v, dtype=float) - low) / span for k, v in splits.items()}, (low, span)
