# WRONG: pads at the front (left padding). Distinguishing: [[7],[7,8]], start 1, end 2 -> row 0 [0,1,7,2] vs [1,7,2,0].
import numpy as np
def add_start_end(sentences, start_id, end_id):
    width = max(len(s) for s in sentences) + 2
    out = np.zeros((len(sentences), width), dtype=np.int64)
    for r, ids in enumerate(sentences):
        row = [start_id, *ids, end_id]
        out[r, width - len(row):] = row
    return out

def teacher_forcing(targets):
    targets = np.asarray(targets)
    return targets[:, :-1], targets[:, 1:]
