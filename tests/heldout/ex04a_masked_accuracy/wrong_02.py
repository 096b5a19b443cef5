# WRONG: real tokens taken from the prediction (predicted != pad_id) instead of y_true. Distinguishing: y_true=[[1,2]], predicted [[0,2]] -> 1.0 vs 0.5.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    y_true = np.asarray(y_true)
    pred = np.asarray(y_pred).argmax(-1)
    real = pred != pad_id
    if real.sum() == 0:
        return 0.0
    return float(((pred == y_true) & real).sum() / real.sum())
