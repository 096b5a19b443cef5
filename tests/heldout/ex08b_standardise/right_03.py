# RIGHT: keepdims statistics in the arrays' own dtype (float32 stays float32), flattened to (columns,) when returned.
import numpy as np
def standardise(splits):
    train = splits["train"]
    mu = np.nanmean(train, axis=0, keepdims=True)
    sigma = np.nanstd(train, axis=0, keepdims=True)
    sigma = np.where(sigma == 0, np.ones_like(sigma), sigma)
    scaled = {name: (rows - mu) / sigma for name, rows in splits.items()}
    return scaled, (mu[0], sigma[0])
