# WRONG: ignores the pad_id argument (padding hard-coded as 0). Distinguishing: pad_id=5, y_true=[[1,5]], predicted [[1,0]] -> 0.5 vs 1.0.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    y_true = np.asarray(y_true)
    pred = np.argmax(y_pred, axis=-1)
    real = y_true != 0
    if not real.any():
        return 0.0
    return float(np.sum((pred == y_true) & real) / np.sum(real))
