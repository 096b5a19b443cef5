# RIGHT: python lists padded then np.array; teacher_forcing with np.delete.
import numpy as np
def add_start_end(sentences, start_id, end_id):
    rows = [[start_id] + list(s) + [end_id] for s in sentences]
    width = max(len(r) for r in rows)
    return np.array([r + [0] * (width - len(r)) for r in rows], dtype=np.int32)

def teacher_forcing(targets):
    t = np.array(targets)
    return np.delete(t, -1, axis=1), np.delete(t, 0, axis=1)
