# WRONG: returns the prime followed by the new tokens. Distinguishing: prime [1], length 2 -> 3 ids.

import numpy as np
def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))

def generate(step, state, prime_ids, length, temperature, rng):
    ids = list(prime_ids)
    for token in ids:
        logits, state = step(token, state)
    for _ in range(length):
        t = sample(logits, temperature, rng)
        ids.append(t)
        logits, state = step(t, state)
    return ids
