# WRONG: sample draws with the global np.random, not with rng: not reproducible from the seed. Distinguishing: two calls with default_rng(0) give different draws / differ from rng.choice.
import numpy as np

def temperature_probs(logits, temperature):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return np.eye(len(logits))[np.argmax(logits)]
    scaled = logits / temperature
    e = np.exp(scaled - scaled.max())
    return e / e.sum()

def sample(logits, temperature, rng):
    p = temperature_probs(logits, temperature)
    return int(np.random.choice(len(p), p=p))
