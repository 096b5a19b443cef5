# WRONG: ignores start_id/end_id and hard-codes 1 and 2 (the ids of a typical vocabulary). Distinguishing: [[7]], start_id=3, end_id=4 -> [[1,7,2]] vs [[3,7,4]].
import numpy as np
def add_start_end(sentences, start_id, end_id):
    width = max(len(s) for s in sentences) + 2
    out = np.zeros((len(sentences), width), dtype=np.int64)
    for r, ids in enumerate(sentences):
        out[r, : len(ids) + 2] = [1, *ids, 2]
    return out

def teacher_forcing(targets):
    targets = np.asarray(targets)
    return targets[:, :-1], targets[:, 1:]
