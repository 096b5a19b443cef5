# WRONG: plain accuracy, padding counted. Distinguishing: y_true=[[1,0]], y_pred argmax [[1,0]] -> 1.0 either way; use y_pred argmax [[1,2]] -> 0.5 vs 1.0.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    return float(np.mean(np.argmax(y_pred, axis=-1) == np.asarray(y_true)))
