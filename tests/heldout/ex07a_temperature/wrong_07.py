# WRONG: sample ignores the temperature probabilities and uses the raw softmax (T=1) for drawing. Distinguishing: logits [2, 0], T=0 -> may draw index 1.
import numpy as np

def temperature_probs(logits, temperature):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return np.eye(len(logits))[np.argmax(logits)]
    scaled = logits / temperature
    e = np.exp(scaled - scaled.max())
    return e / e.sum()

def sample(logits, temperature, rng):
    p = temperature_probs(logits, 1.0)
    return int(rng.choice(len(p), p=p))
