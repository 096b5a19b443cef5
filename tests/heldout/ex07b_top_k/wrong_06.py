# WRONG: no max subtraction: overflow for large logits. Distinguishing: logits [1000, 999, 0], k=2 -> nan.
import numpy as np
def top_k_probs(logits, k):
    logits = np.asarray(logits, dtype=float)
    keep = np.argsort(-logits)[:k]
    e = np.zeros_like(logits)
    e[keep] = np.exp(logits[keep])
    return e / e.sum()
