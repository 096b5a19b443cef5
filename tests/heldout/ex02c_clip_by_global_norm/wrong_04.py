# WRONG: returns the norm after clipping. Distinguishing: grads=[array([3.,4.])], max_norm=1 -> 1.0 instead of 5.0.
import numpy as np
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    scale = max_norm / norm if norm > max_norm else 1.0
    clipped = [g * scale for g in grads]
    return clipped, float(np.sqrt(sum(np.sum(np.square(g)) for g in clipped)))
