# WRONG: mean of per-sentence accuracies instead of counting tokens over the whole batch. Distinguishing: y_true=[[1,0,0],[2,2,2]], predicted [[1,0,0],[2,0,0]] -> (1 + 1/3)/2 = 0.667 vs 2/4 = 0.5.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    y_true = np.asarray(y_true)
    pred = np.argmax(y_pred, axis=-1)
    accs = []
    for t, p in zip(y_true, pred):
        real = t != pad_id
        if real.any():
            accs.append(np.mean(p[real] == t[real]))
    return float(np.mean(accs)) if accs else 0.0
