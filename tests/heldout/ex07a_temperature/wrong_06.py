# WRONG: treats small temperatures (< 0.05) as greedy too. Distinguishing: logits [1.0, 0.99], T=0.01 -> softmax([100,99]) = [0.731, 0.269] vs [1, 0].
import numpy as np
def temperature_probs(logits, temperature):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature < 0.05:
        return np.eye(len(logits))[np.argmax(logits)]
    scaled = logits / temperature
    e = np.exp(scaled - scaled.max())
    return e / e.sum()

def sample(logits, temperature, rng):
    probs = temperature_probs(logits, temperature)
    return int(rng.choice(len(probs), p=probs))
