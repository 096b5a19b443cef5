# RIGHT: threshold at the k-th largest value with >=, np.where for the softmax.
import numpy as np
def top_k_probs(logits, k):
    x = np.array(logits, dtype=float)
    if k >= x.size:
        kth = x.min()
    else:
        kth = -np.sort(-x)[k - 1]
    keep = x >= kth
    e = np.where(keep, np.exp(x - x.max()), 0.0)
    return e / e.sum()
