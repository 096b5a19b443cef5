# WRONG: wraps each sentence in place (insert/append on the caller's lists). Distinguishing: s=[[7]]: after the call s == [[1,7,2]].
import numpy as np
def add_start_end(sentences, start_id, end_id):
    for ids in sentences:
        ids.insert(0, start_id)
        ids.append(end_id)
    width = max(len(s) for s in sentences)
    return np.array([s + [0] * (width - len(s)) for s in sentences], dtype=np.int64)

def teacher_forcing(targets):
    targets = np.asarray(targets)
    return targets[:, :-1], targets[:, 1:]
