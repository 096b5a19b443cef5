# RIGHT: one loop over a queue: the prime first, then each sampled token; no step call after the last token.

import numpy as np
def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))

def generate(step, state, prime_ids, length, temperature, rng):
    pending = list(prime_ids)
    new = []
    while pending:
        logits, state = step(pending.pop(0), state)
        if not pending and len(new) < length:
            token = sample(logits, temperature, rng)
            new.append(token)
            if len(new) < length:
                pending.append(token)
    return new
