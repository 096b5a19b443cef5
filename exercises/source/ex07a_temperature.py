"""Exercise ex07a (lesson 07): sampling with a temperature.

A language model gives scores (logits) for the next character. Dividing the logits by a
temperature before the softmax changes how adventurous sampling is:

    probs = softmax(logits / temperature)

temperature 1 is the model's own distribution; below 1 sharpens it (safer, more repetitive
text); above 1 flattens it (more surprising, more mistakes). temperature 0 means "always the most
likely character" (greedy): return the one-hot vector of the argmax.

The softmax must be numerically safe: exp(1000) overflows, so subtract the largest value first
(softmax(v) == softmax(v - max(v))).

    logits       a 1-D NumPy array of scores
    temperature  a float >= 0
    rng          a numpy.random.Generator (np.random.default_rng(seed)); use it for all randomness

Your tasks: write `temperature_probs` (the probabilities) and `sample` (one index drawn from
them, as a Python int).
Check it:  make check EX=ex07a        Stuck?  make hint EX=ex07a
"""

import numpy as np


def temperature_probs(logits, temperature):
    """softmax(logits / temperature), safely; a one-hot argmax vector when temperature == 0."""
    # TODO: handle temperature == 0 first; otherwise scale, subtract the max,
    #       exponentiate and normalise.
    # BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return np.eye(len(logits))[np.argmax(logits)]
    scaled = logits / temperature
    e = np.exp(scaled - scaled.max())
    return e / e.sum()
    # END SOLUTION


def sample(logits, temperature, rng):
    """One index drawn from temperature_probs(logits, temperature) with `rng`."""
    # TODO: rng.choice can draw an index with given probabilities (its p= argument).
    # BEGIN SOLUTION
    probs = temperature_probs(logits, temperature)
    return int(rng.choice(len(probs), p=probs))
    # END SOLUTION
