# WRONG: pads with end_id instead of 0. Distinguishing: [[7],[7,8]], start 1, end 2 -> row 0 [1,7,2,2] vs [1,7,2,0].
import numpy as np
def add_start_end(sentences, start_id, end_id):
    width = max(len(s) for s in sentences) + 2
    out = np.full((len(sentences), width), end_id, dtype=np.int64)
    for r, ids in enumerate(sentences):
        out[r, : len(ids) + 1] = [start_id, *ids]
    return out

def teacher_forcing(targets):
    targets = np.asarray(targets)
    return targets[:, :-1], targets[:, 1:]
