# RIGHT: np.where to build the candidate matrix, np.unravel_index for origin/token.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    lp = np.asarray(log_probs, dtype=np.float64)
    fin = np.asarray(finished, dtype=bool)[:, None]
    vocab_ids = np.arange(lp.shape[1])[None, :]
    finished_row = np.where(vocab_ids == end_id, 0.0, -np.inf)
    cand = np.asarray(scores, dtype=np.float64)[:, None] + np.where(fin, finished_row, lp)
    flat = cand.ravel()
    order = np.argsort(-flat, kind="stable")[: lp.shape[0]]
    origin, token = np.unravel_index(order, cand.shape)
    return origin, token, flat[order]
