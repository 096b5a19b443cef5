# WRONG: np.argpartition(logits, -k) raises when k > len(logits). Distinguishing: logits [1,2,3], k=5 -> ValueError vs softmax of all.
import numpy as np
def top_k_probs(logits, k):
    logits = np.asarray(logits, dtype=float)
    keep = np.argpartition(logits, -k)[-k:]
    m = np.full(logits.shape, -np.inf); m[keep] = logits[keep]
    e = np.exp(m - m.max())
    return e / e.sum()
