# WRONG: scales the given arrays in place (g *= scale) and returns the same list. Distinguishing: grads=[array([3.,4.])], max_norm=1: the caller's array becomes [0.6, 0.8].
import numpy as np
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return grads, norm
