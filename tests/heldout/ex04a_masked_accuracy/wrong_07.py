# WRONG: argmax over axis 1 (time) instead of the tag axis; only runs when time == n_tags. Distinguishing: y_true=[[0,0]], pad_id=5, y_pred=[[[0.9,0.1],[0.8,0.2]]] -> 0.5 vs 1.0.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    y_true = np.asarray(y_true)
    pred = np.argmax(np.asarray(y_pred), axis=1)
    real = y_true != pad_id
    if not real.any():
        return 0.0
    return float(np.sum((pred == y_true) & real) / np.sum(real))
