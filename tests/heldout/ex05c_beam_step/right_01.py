# RIGHT: builds a Python list of (score, beam, token) candidates and sorts it.
import numpy as np
def beam_step(scores, log_probs, finished, end_id):
    k, vocab = np.shape(log_probs)
    cands = []
    for b in range(k):
        if finished[b]:
            cands.append((float(scores[b]), b, end_id))
            continue
        for w in range(vocab):
            cands.append((float(scores[b]) + float(log_probs[b][w]), b, w))
    cands.sort(key=lambda c: (-c[0], c[1], c[2]))
    top = cands[:k]
    while len(top) < k:
        top.append((-np.inf, 0, 0))
    return (np.array([c[1] for c in top]), np.array([c[2] for c in top]), np.array([c[0] for c in top]))
