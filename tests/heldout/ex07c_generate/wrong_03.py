# WRONG: calls sample twice per new token (one to check, one to store), consuming extra randomness. Distinguishing: temperature 1, seed 0: sequence differs from the reference.

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
    while len(out) < length:
        if sample(logits, temperature, rng) is not None:
            t = sample(logits, temperature, rng)
            out.append(t)
            logits, state = step(t, state)
    return out
