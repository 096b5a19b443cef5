# RIGHT: explicit loop with math.sqrt / math.fsum.
import math
import numpy as np
def clip_by_global_norm(grads, max_norm):
    total = math.fsum(float(v) ** 2 for g in grads for v in np.asarray(g).ravel())
    norm = math.sqrt(total)
    factor = 1.0
    if norm > max_norm:
        factor = max_norm / norm
    clipped = []
    for g in grads:
        clipped.append(np.asarray(g) * factor)
    return clipped, norm
