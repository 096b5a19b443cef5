# WRONG: threshold with a strict > on the k-th largest value keeps only k-1 logits. Distinguishing: logits [1,2,3], k=2 -> [0,0,1] vs [0,0.269,0.731].
import numpy as np
def top_k_probs(logits, k):
    logits = np.asarray(logits, dtype=float)
    kth = np.sort(logits)[-min(k, len(logits))]
    m = np.where(logits > kth, logits, -np.inf)
    if np.all(np.isinf(m)):
        m = np.where(logits >= kth, logits, -np.inf)
    e = np.exp(m - m.max())
    return e / e.sum()
