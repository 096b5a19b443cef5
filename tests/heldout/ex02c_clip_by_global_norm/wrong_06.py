# WRONG: scale = min(1, max_norm / norm) in Python floats: ZeroDivisionError when every gradient is zero. Distinguishing: grads=[np.zeros(3)], max_norm=1.
import math
import numpy as np
def clip_by_global_norm(grads, max_norm):
    norm = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    scale = min(1.0, max_norm / norm)
    return [g * scale for g in grads], norm
