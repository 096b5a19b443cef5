# RIGHT: scipy-free logsumexp formulation; one-hot via np.zeros; sample via rng.choice on np.arange.
import numpy as np
def temperature_probs(logits, temperature):
    v = np.array(logits, dtype=np.float64)
    if temperature == 0:
        out = np.zeros_like(v)
        out[int(np.argmax(v))] = 1.0
        return out
    v = v / temperature
    m = np.max(v)
    log_z = m + np.log(np.sum(np.exp(v - m)))
    return np.exp(v - log_z)

def sample(logits, temperature, rng):
    p = temperature_probs(logits, temperature)
    return int(rng.choice(np.arange(p.size), p=p))
