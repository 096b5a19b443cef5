# WRONG: multiplies by the temperature instead of dividing. Distinguishing: logits [1, 0], T=2 -> softmax([2,0]) vs softmax([0.5,0]).
import numpy as np
def temperature_probs(logits, temperature):
    logits = np.asarray(logits, dtype=float)
    if temperature == 0:
        return np.eye(len(logits))[np.argmax(logits)]
    s = logits * temperature
    e = np.exp(s - s.max())
    return e / e.sum()

def sample(logits, temperature, rng):
    probs = temperature_probs(logits, temperature)
    return int(rng.choice(len(probs), p=probs))
