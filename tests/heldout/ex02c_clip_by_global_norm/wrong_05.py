# WRONG: global norm = sum of the per-array norms (not sqrt of the total sum of squares). Distinguishing: grads=[array([3.]), array([4.])], max_norm=1 -> norm 7 instead of 5.
import numpy as np
def clip_by_global_norm(grads, max_norm):
    norm = float(sum(np.linalg.norm(g) for g in grads))
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads], norm
