# WRONG: keeps the k smallest logits (ascending argsort, first k). Distinguishing: logits [1,2,3], k=1 -> [1,0,0] vs [0,0,1].
import numpy as np
def top_k_probs(logits, k):
    logits = np.asarray(logits, dtype=float)
    keep = np.argsort(logits)[:k]
    m = np.full_like(logits, -np.inf); m[keep] = logits[keep]
    e = np.exp(m - m.max())
    return e / e.sum()
