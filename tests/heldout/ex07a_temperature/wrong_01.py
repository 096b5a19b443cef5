# WRONG: no max subtraction: exp overflows for large logits (nan). Distinguishing: logits [1000, 999], T=1.
import numpy as np
def temperature_probs(logits, temperature):
    logits = np.asarray(logits, dtype=float)
    if temperature == 0:
        p = np.zeros(len(logits)); p[np.argmax(logits)] = 1.0
        return p
    e = np.exp(logits / temperature)
    return e / e.sum()

def sample(logits, temperature, rng):
    probs = temperature_probs(logits, temperature)
    return int(rng.choice(len(probs), p=probs))
