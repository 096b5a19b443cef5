"""Check for ex07c: the generation loop, driven by a small stateful toy model whose output depends on
the state, so a loop that drops the state, re-reads a token or skips the feedback gives other tokens."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_equal

TITLE = "the generation loop (prime, sample, feed back)"
HINTS = (
    "Two loops. First read the prime: for each id, logits, state = step(token, state). The logits after "
    "the last prime id are the prediction for the first new token. Then, `length` times: draw a token with "
    "sample(logits, temperature, rng), append it, and feed it back with step to get the next logits.",
    "    for token in prime_ids:\n"
    "        logits, state = step(token, state)\n"
    "    new_ids = []\n"
    "    for _ in range(length):\n"
    "        token = ...                       # draw from the current logits\n"
    "        new_ids.append(token)\n"
    "        logits, state = ...               # feed the new token back in\n"
    "    return new_ids",
)
VOCAB, STATES = 6, 7


class ToyModel:
    """step(token, state) -> (logits, new_state); the logits depend on both the token and the state."""

    def __init__(self, seed=11):
        self.table = np.random.default_rng(seed).normal(scale=2.0, size=(STATES * VOCAB, VOCAB))

    def step(self, token, state):
        token = int(token)
        if not 0 <= token < VOCAB:
            raise CheckFailed(f"step was called with token {token!r}, which is not an id from 0 to {VOCAB - 1}")
        new_state = (int(state) * 3 + token + 1) % STATES
        return self.table[new_state * VOCAB + token].copy(), new_state


def sample(logits, temperature, rng):
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(logits))
    scaled = logits / temperature
    probs = np.exp(scaled - scaled.max())
    return int(rng.choice(len(probs), p=probs / probs.sum()))


def reference(
    model, state, prime, length, temperature, seed, carry=True, reread_last=False, feed_back=True, with_prime=False
):
    rng = np.random.default_rng(seed)
    initial = state
    for token in prime + ([prime[-1]] if reread_last else []):
        logits, new_state = model.step(token, state)
        state = new_state if carry else initial
    out = []
    for _ in range(length):
        token = sample(logits, temperature, rng)
        out.append(token)
        if feed_back:
            logits, new_state = model.step(token, state)
            state = new_state if carry else initial
    return prime + out if with_prime else out


def check(learner):
    model = ToyModel()
    cases = [
        ("greedy (temperature 0), a prime of 3 tokens, 12 new tokens", 2, [1, 4, 2], 12, 0.0, 0),
        ("temperature 1, seeded rng", 5, [3, 0], 15, 1.0, 3),
        ("a prime of 1 token, temperature 0.7", 0, [5], 8, 0.7, 4),
        ("length 0: nothing to generate", 2, [1, 2], 0, 1.0, 0),
    ]
    suspects = Suspects(atol=None)
    for case, state, prime, length, temperature, seed in cases:
        got = learner.call(
            "generate", model.step, state, list(prime), length, temperature, np.random.default_rng(seed), case=case
        )
        if got is None:
            raise CheckFailed(f"case: {case}\ngenerate returned None: did you forget the `return`?")
        got = [int(t) for t in np.asarray(got).ravel()] if not isinstance(got, list) else got
        mistakes = {
            "without carrying the state from one step to the next": reference(
                model, state, prime, length, temperature, seed, carry=False
            ),
            "by reading the last prime token twice": reference(
                model, state, prime, length, temperature, seed, reread_last=True
            ),
            "without feeding the new tokens back into the model": reference(
                model, state, prime, length, temperature, seed, feed_back=False
            ),
            "by returning the prime as well": reference(
                model, state, prime, length, temperature, seed, with_prime=True
            ),
        }
        expected = reference(model, state, prime, length, temperature, seed)
        expect_equal(
            got,
            expected,
            f"generate(step, state={state}, prime_ids={prime}, length={length}, temperature={temperature})",
            case=case,
            mistakes=suspects.named(got, expected, mistakes),
            axes="new token",
        )
    return "generate reads the prime, carries the state and feeds each new token back (greedy and sampled)."
