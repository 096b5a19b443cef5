# WRONG: feeds each new token back but keeps sampling from the prime's logits (discards the new logits). Distinguishing: temperature 0, step favouring (token read + 1): [3,3,3] vs [3,4,5].

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
        t = sample(logits, temperature, rng)
        out.append(t)
        _, state = step(t, state)
    return out
