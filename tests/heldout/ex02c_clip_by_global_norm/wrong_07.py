# WRONG: forgets the square root (compares and reports the sum of squares). Distinguishing: grads=[array([0.6, 0.8]) * 1.2], max_norm=1.3: true norm 1.2 (no clip) but sum of squares 1.44 > 1.3 clips.
import numpy as np
def clip_by_global_norm(grads, max_norm):
    sq = float(sum(np.sum(np.square(g)) for g in grads))
    scale = max_norm / sq if sq > max_norm else 1.0
    return [g * scale for g in grads], sq
