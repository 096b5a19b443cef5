# WRONG: reads only the first prime id, so generation starts from the logits after prime_ids[0]. Distinguishing: prime [1,2] with a step whose logits favour the token it read + 1.

import numpy as np
def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))

def generate(step, state, prime_ids, length, temperature, rng):
    logits, state = step(prime_ids[0], state)
    out = []
    for _ in range(length):
        t = sample(logits, temperature, rng)
        out.append(t)
        logits, state = step(t, state)
    return out
