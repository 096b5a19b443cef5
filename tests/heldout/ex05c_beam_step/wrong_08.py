# WRONG: a finished row gets 0 at end_id but keeps its other log-probs, so a finished beam can still grow new words. Distinguishing: k=2, scores [0,-9], finished [True,False], log_probs[0] = [-5,-0.1,-0.2], end_id 0.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    lp = np.array(log_probs, dtype=float)
    k, v = lp.shape
    lp[np.asarray(finished, dtype=bool), end_id] = 0.0
    cand = (np.asarray(scores, dtype=float)[:, None] + lp).ravel()
    best = np.argsort(-cand, kind="stable")[:k]
    return best // v, best % v, cand[best]
