# WRONG: origin/token from divmod by k instead of by the vocabulary size. Distinguishing: k=2, vocab=3.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    lp = np.array(log_probs, dtype=float)
    k, v = lp.shape
    fin = np.asarray(finished, dtype=bool)
    lp[fin] = -np.inf
    lp[fin, end_id] = 0.0
    cand = (np.asarray(scores, dtype=float)[:, None] + lp).ravel()
    best = np.argsort(-cand, kind="stable")[:k]
    origin, token = np.divmod(best, k)
    return origin, token, cand[best]
