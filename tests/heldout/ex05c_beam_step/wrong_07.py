# WRONG: drops -inf candidates, so fewer than k beams come back when there are fewer than k finite candidates. Distinguishing: k=3, vocab=2, scores [0,-inf,-inf] -> 2 results instead of 3.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    lp = np.array(log_probs, dtype=float)
    k, v = lp.shape
    fin = np.asarray(finished, dtype=bool)
    lp[fin] = -np.inf
    lp[fin, end_id] = 0.0
    cand = (np.asarray(scores, dtype=float)[:, None] + lp).ravel()
    best = np.argsort(-cand, kind="stable")[:k]
    best = best[np.isfinite(cand[best])]
    return best // v, best % v, cand[best]
