# RIGHT: boolean indexing then mean.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    t = np.asarray(y_true)
    p = np.asarray(y_pred).argmax(axis=2)
    keep = np.not_equal(t, pad_id)
    hits = p[keep] == t[keep]
    return float(hits.mean()) if hits.size else 0.0
