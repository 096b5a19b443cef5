# WRONG: makes its own generator with a fixed seed (default_rng(0)) instead of using rng. Distinguishing: rng=default_rng(123), temperature 1.

import numpy as np
def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))

def generate(step, state, prime_ids, length, temperature, rng):
    rng = np.random.default_rng(0)
    for token in prime_ids:
        logits, state = step(token, state)
    out = []
    for _ in range(length):
        t = sample(logits, temperature, rng)
        out.append(t)
        logits, state = step(t, state)
    return out
