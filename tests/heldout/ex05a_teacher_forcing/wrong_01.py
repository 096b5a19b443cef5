# WRONG: decoder input and target swapped (input = targets[:, 1:], target = targets[:, :-1]). Distinguishing: targets=[[1,5,2]] -> ([[5,2]],[[1,5]]) vs ([[1,5]],[[5,2]]).
import numpy as np

def add_start_end(sentences, start_id, end_id):
    width = max(len(ids) for ids in sentences) + 2
    targets = np.zeros((len(sentences), width), dtype=np.int64)
    for row, ids in enumerate(sentences):
        targets[row, : len(ids) + 2] = [start_id, *ids, end_id]
    return targets

def teacher_forcing(targets):
    targets = np.asarray(targets)
    return targets[:, 1:], targets[:, :-1]
