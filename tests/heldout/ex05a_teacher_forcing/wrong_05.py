# WRONG: np.zeros default dtype: the targets array is float64, not int. Distinguishing: [[7]] -> dtype float64.
import numpy as np
def add_start_end(sentences, start_id, end_id):
    width = max(len(s) for s in sentences) + 2
    out = np.zeros((len(sentences), width))
    for r, ids in enumerate(sentences):
        out[r, : len(ids) + 2] = [start_id, *ids, end_id]
    return out

def teacher_forcing(targets):
    targets = np.asarray(targets)
    return targets[:, :-1], targets[:, 1:]
