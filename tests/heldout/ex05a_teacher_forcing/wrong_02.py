# WRONG: puts [end] in the last column instead of right after the words. Distinguishing: [[7],[7,8]], start 1, end 2 -> row 0 [1,7,0,2] vs [1,7,2,0].
import numpy as np
def add_start_end(sentences, start_id, end_id):
    width = max(map(len, sentences)) + 2
    out = np.zeros((len(sentences), width), dtype=int)
    for r, ids in enumerate(sentences):
        out[r, 0] = start_id
        out[r, 1:1 + len(ids)] = ids
        out[r, -1] = end_id
    return out

def teacher_forcing(targets):
    targets = np.asarray(targets)
    return targets[:, :-1], targets[:, 1:]
