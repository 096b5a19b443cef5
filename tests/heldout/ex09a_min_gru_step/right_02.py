# RIGHT: all NumPy, with its own sigmoid and its own g (np.where), inputs turned into float64 arrays first.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def sig(v):
    return 1.0 / (1.0 + np.exp(-v))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    x = np.asarray(x_t, dtype=np.float64)
    h = np.asarray(h_prev, dtype=np.float64)
    z = sig(x @ np.asarray(w_z) + np.asarray(b_z))
    pre = x @ np.asarray(w_h) + np.asarray(b_h)
    cand = np.where(pre >= 0, pre + 0.5, sig(pre))
    return (1.0 - z) * h + z * cand
