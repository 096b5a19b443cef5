# WRONG: always greedy (np.argmax), ignoring temperature and rng. Distinguishing: temperature 1 with a flat distribution.

import numpy as np
def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))

def generate(step, state, prime_ids, length, temperature, rng):
    for token in prime_ids:
        logits, state = step(token, state)
    out = []
    for _ in range(length):
        t = int(np.argmax(logits))
        out.append(t)
        logits, state = step(t, state)
    return out
