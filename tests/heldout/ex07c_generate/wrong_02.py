# WRONG: does not carry the state through the prime (every prime id read from the initial state). Distinguishing: a step whose logits depend on a counter in its state.

import numpy as np
def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))

def generate(step, state, prime_ids, length, temperature, rng):
    start = state
    for token in prime_ids:
        logits, state = step(token, start)
    out = []
    for _ in range(length):
        t = sample(logits, temperature, rng)
        out.append(t)
        logits, state = step(t, state)
    return out
