# RIGHT: functools.reduce over the prime, then a while loop.
from functools import reduce

import numpy as np
def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))

def generate(step, state, prime_ids, length, temperature, rng):
    logits, state = reduce(lambda acc, tok: step(tok, acc[1]), prime_ids, (None, state))
    generated = []
    while len(generated) < length:
        nxt = sample(logits, temperature, rng)
        generated += [nxt]
        logits, state = step(nxt, state)
    return generated
