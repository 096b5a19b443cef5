# WRONG: temperature 0 not handled (divides by zero -> nan probabilities). Distinguishing: logits [1, 2], T=0.
import numpy as np
def temperature_probs(logits, temperature):
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.asarray(logits, dtype=float) / temperature
        e = np.exp(s - s.max())
        return e / e.sum()

def sample(logits, temperature, rng):
    probs = temperature_probs(logits, temperature)
    return int(rng.choice(len(probs), p=probs))
