# WRONG: NumPy, the candidate's bias b_h forgotten. Distinguishing: any b_h != 0.
import keras
import numpy as np
def g(x):
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))

def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    x_t, h_prev = np.asarray(x_t), np.asarray(h_prev)
    z = 1 / (1 + np.exp(-(x_t @ np.asarray(w_z) + np.asarray(b_z))))
    cand = keras.ops.convert_to_numpy(g(x_t @ np.asarray(w_h)))
    return (1 - z) * h_prev + z * cand
