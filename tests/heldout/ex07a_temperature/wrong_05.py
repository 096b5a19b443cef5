# WRONG: sample passes the logits themselves to rng.choice (rng.choice(logits, p=probs)), so it returns a logit value, not an index. Distinguishing: logits [0.5, 2.0], T=1 -> returns 0.5 or 2.0 (or int() of it) instead of 0 or 1.
import numpy as np

def temperature_probs(logits, temperature):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return np.eye(len(logits))[np.argmax(logits)]
    scaled = logits / temperature
    e = np.exp(scaled - scaled.max())
    return e / e.sum()

def sample(logits, temperature, rng):
    probs = temperature_probs(logits, temperature)
    return int(rng.choice(logits, p=probs))
