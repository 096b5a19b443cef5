# WRONG: divides the correct real tokens by all tokens (padding in the denominator). Distinguishing: y_true=[[1,0]], predicted [[1,0]] -> 0.5 vs 1.0.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    y_true = np.asarray(y_true)
    pred = np.argmax(y_pred, axis=-1)
    real = y_true != pad_id
    if not real.any():
        return 0.0
    return float(np.sum((pred == y_true) & real) / y_true.size)
