# RIGHT: np.linalg.norm of all arrays flattened into one vector.
import numpy as np
def clip_by_global_norm(grads, max_norm):
    flat = np.concatenate([np.ravel(g) for g in grads]) if grads else np.zeros(0)
    global_norm = float(np.linalg.norm(flat))
    if global_norm <= max_norm:
        return [np.array(g, copy=True) for g in grads], global_norm
    return [np.multiply(g, max_norm / global_norm) for g in grads], global_norm
