# WRONG: ignores `finished`: a finished beam is extended like any other. Distinguishing: k=2, scores [0,-1], finished [False,True], end_id 0.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    log_probs = np.asarray(log_probs, dtype=float)
    k, v = log_probs.shape
    cand = (np.asarray(scores, dtype=float)[:, None] + log_probs).ravel()
    best = np.argsort(-cand, kind="stable")[:k]
    return best // v, best % v, cand[best]
