# WRONG: clips each array by its own norm (Keras' clipnorm) but reports the global norm. Distinguishing: grads=[array([3.,4.]), array([0.1])], max_norm=1.
import numpy as np
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * (max_norm / n) if n > max_norm else g.copy())
    return out, norm
