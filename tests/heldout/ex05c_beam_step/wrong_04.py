# WRONG: edits the caller's log_probs in place (no copy). Distinguishing: any finished beam: the caller's log_probs row becomes -inf/0.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    k, v = log_probs.shape
    fin = np.asarray(finished, dtype=bool)
    log_probs[fin] = -np.inf
    log_probs[fin, end_id] = 0.0
    cand = (np.asarray(scores)[:, None] + log_probs).reshape(-1)
    best = np.argsort(-cand, kind="stable")[:k]
    return best // v, best % v, cand[best]
