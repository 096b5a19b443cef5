# WRONG: a finished row is set to 0 for every word (not -inf except end), so a finished beam can fill the beam with k copies. Distinguishing: k=2, scores [0,-5], finished [True,False].
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    lp = np.array(log_probs, dtype=float)
    k, v = lp.shape
    lp[np.asarray(finished, dtype=bool)] = 0.0
    cand = (np.asarray(scores, dtype=float)[:, None] + lp).reshape(-1)
    best = np.argsort(-cand, kind="stable")[:k]
    return best // v, best % v, cand[best]
