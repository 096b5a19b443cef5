# WRONG: always rescales to max_norm (scales small gradients up too). Distinguishing: grads=[array([0.3, 0.4])], max_norm=1 -> [0.6, 0.8] instead of unchanged.
import numpy as np
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    return [g * (max_norm / norm) for g in grads], norm
