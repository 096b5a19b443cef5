# WRONG: sets the dropped logits to -inf in the caller's array (in place). Distinguishing: x=np.array([1.,2.,3.]), k=1: x becomes [-inf,-inf,3].
import numpy as np
def top_k_probs(logits, k):
    drop = np.argsort(logits)[: max(len(logits) - k, 0)]
    logits[drop] = -np.inf
    e = np.exp(logits - logits.max())
    return e / e.sum()
