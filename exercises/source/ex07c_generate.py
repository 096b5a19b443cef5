"""Exercise ex07c (lesson 07): the generation loop of a character language model.

A trained language model generates text one token at a time: it reads a prompt (the "prime"),
then repeatedly draws the next token from its prediction and feeds that token back in as the next
input. The recurrent state carries everything read so far from one step to the next.

Here the model is a function `step(token_id, state) -> (logits, new_state)`: it reads one token
and returns the scores for the next one and its new state (in lesson 07 it wraps the Keras model).

    step         the model, as above
    state        the initial state (pass it to the first call; never look inside it)
    prime_ids    a non-empty list of token ids to read first
    length       how many new tokens to generate
    temperature  passed on to `sample`
    rng          a numpy.random.Generator, passed on to `sample`
Read every prime id in order, carrying the state. The logits after the last prime id give the
first new token; feed each new token back to get the logits for the next one. Draw every new
token with `sample(logits, temperature, rng)` (given: it is ex07a's answer), once per new token.
Return the list of the `length` new token ids (without the prime).

Your task: write `generate`.
Check it:  make check EX=ex07c        Stuck?  make hint EX=ex07c
"""

import numpy as np


def sample(logits, temperature, rng):
    """One token id drawn from softmax(logits / temperature); the argmax when temperature is 0."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def generate(step, state, prime_ids, length, temperature, rng):
    """Read `prime_ids`, then draw `length` new token ids, feeding each one back in."""
    # TODO: a loop over prime_ids calling step and keeping the last logits and the state;
    #       then a loop of `length` draws: sample, remember, feed the new token back in.
    # BEGIN SOLUTION
    for token in prime_ids:
        logits, state = step(token, state)
    new_ids = []
    for _ in range(length):
        token = sample(logits, temperature, rng)
        new_ids.append(token)
        logits, state = step(token, state)
    return new_ids
    # END SOLUTION
