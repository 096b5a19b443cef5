# RIGHT: inverse-CDF sampling with rng.random() and searchsorted(side="right") (what Generator.choice does internally).
import numpy as np
def temperature_probs(logits, temperature):
    logits = np.asarray(logits, dtype=float)
    if not temperature:
        return (np.arange(logits.size) == logits.argmax()).astype(float)
    z = (logits - logits.max()) / temperature
    p = np.exp(z)
    return p / p.sum()

def sample(logits, temperature, rng):
    cdf = np.cumsum(temperature_probs(logits, temperature))
    cdf /= cdf[-1]
    return int(np.searchsorted(cdf, rng.random(), side="right"))
