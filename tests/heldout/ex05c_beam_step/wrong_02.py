# WRONG: keeps the single best word of each beam (top-1 per beam) instead of the top k overall. Distinguishing: k=2, scores [0,-inf], log_probs [[-0.1,-0.2,-3],[..]] -> beam 0 should leave two children.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    lp = np.array(log_probs, dtype=float)
    fin = np.asarray(finished, dtype=bool)
    lp[fin] = -np.inf
    lp[fin, end_id] = 0.0
    cand = np.asarray(scores, dtype=float)[:, None] + lp
    tok = cand.argmax(axis=1)
    sc = cand[np.arange(len(tok)), tok]
    order = np.argsort(-sc, kind="stable")
    return order, tok[order], sc[order]
