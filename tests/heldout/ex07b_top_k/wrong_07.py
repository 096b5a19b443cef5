# WRONG: masked copy made with np.full_like(logits, -inf) without a float cast: integer logits give an integer array (garbage). Distinguishing: logits np.array([1,2,3]) (int), k=2.
import numpy as np
def top_k_probs(logits, k):
    keep = np.argsort(logits)[::-1][:k]
    masked = np.full_like(logits, -np.inf)
    masked[keep] = logits[keep]
    e = np.exp(masked - masked.max())
    return e / e.sum()
