# WRONG: softmax over all logits, then zeroes the others without renormalising. Distinguishing: logits [1,2,3], k=1 -> [0,0,0.665] vs [0,0,1].
import numpy as np
def top_k_probs(logits, k):
    logits = np.asarray(logits, dtype=float)
    e = np.exp(logits - logits.max()); p = e / e.sum()
    out = np.zeros_like(p)
    keep = np.argsort(logits)[::-1][:k]
    out[keep] = p[keep]
    return out
