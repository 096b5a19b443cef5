# RIGHT: np.argpartition with k clamped to the length, softmax over the kept values only.
import numpy as np
def top_k_probs(logits, k):
    x = np.asarray(logits, dtype=np.float64)
    k = min(k, x.size)
    idx = np.argpartition(x, x.size - k)[x.size - k:]
    vals = x[idx]
    w = np.exp(vals - vals.max())
    out = np.zeros(x.shape)
    out[idx] = w / w.sum()
    return out
