"""Check for ex07a: temperature probabilities exactly, and sampling by the frequencies of many draws."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_close

TITLE = "temperature sampling"
HINTS = (
    "Divide the logits by the temperature, subtract the largest of them (this does not change the softmax "
    "but keeps exp from overflowing), exponentiate and divide by the sum. Deal with temperature == 0 before "
    "dividing: return np.eye(len(logits))[np.argmax(logits)]. For sample, rng.choice(n, p=probs) draws an "
    "index 0..n-1 with the given probabilities.",
    "    if temperature == 0:\n"
    "        return np.eye(len(logits))[np.argmax(logits)]\n"
    "    scaled = np.asarray(logits, dtype=float) / temperature\n"
    "    e = np.exp(scaled - ...)\n"
    "    return e / ...\n"
    "and in sample:  return int(rng.choice(len(logits), p=...))",
)
DRAWS = 6000


def softmax(v):
    e = np.exp(v - np.max(v))
    return e / e.sum()


def check(learner):
    logits = np.array([2.0, 1.0, 0.1, -1.0, 0.5])
    close = np.array([1.0, 0.99, 0.97, 0.9])  # nearly tied: a small temperature still leaves several choices
    integers = np.array([3, 1, 0, 2])  # integer scores are scores too
    cases = [
        (logits, 1.0),
        (logits, 0.5),
        (logits, 2.0),
        (np.array([1000.0, 999.0, 990.0]), 0.7),
        (logits, 0.0),
        (close, 0.01),
        (integers, 0.5),
        (integers, 0.0),
    ]
    suspects = Suspects()
    for values, temperature in cases:
        kind = " (an int array)" if values.dtype.kind == "i" else ""
        case = f"logits={values.tolist()}{kind}, temperature={temperature}"
        got = learner.call("temperature_probs", values.copy(), temperature, case=case)
        argmax = np.eye(len(values))[np.argmax(values)]
        expected = argmax if temperature == 0 else softmax(values / temperature)
        mistakes = (
            {}
            if temperature == 0
            else {
                "by multiplying by the temperature instead of dividing": softmax(values * temperature),
                "by ignoring the temperature": softmax(values),
                # (at the larger temperatures that mistake gives the right answer: it cannot be ruled out there)
                "by treating a small temperature as 0: only temperature == 0 means always the argmax": argmax
                if temperature < 0.1
                else expected,
            }
        )
        expect_close(
            got,
            expected,
            "temperature_probs",
            case=case,
            axes="index",
            mistakes=suspects.named(got, expected, mistakes),
        )
    for temperature in (0.5, 1.5):
        probs = softmax(logits / temperature)
        rng = np.random.default_rng(9)
        case = f"{DRAWS} draws, logits={logits.tolist()}, temperature={temperature}"
        draws = learner.repeat("sample", logits.copy(), temperature, rng, times=DRAWS, case=case)
        bad = [d for d in draws if not isinstance(d, (int, np.integer)) or not 0 <= d < len(logits)]
        if bad:
            raise CheckFailed(f"sample should return an int index from 0 to {len(logits) - 1}; got {bad[0]!r}")
        freq = np.bincount(np.asarray(draws, dtype=int), minlength=len(logits)) / DRAWS
        # about 5 standard errors of a frequency: a right sampler never fails this, with this seed or others
        expect_close(
            freq,
            probs,
            "how often sample picked each index",
            case=case,
            atol=0.03,
            rtol=0,
            axes="index",
            mistakes=Suspects(atol=0.03, rtol=0).named(
                freq,
                probs,
                {
                    "by sampling from softmax(logits), ignoring the temperature": softmax(logits),
                    "by always picking the most likely index": np.eye(len(logits))[np.argmax(logits)],
                },
            ),
        )
        again = [
            learner.call("sample", logits.copy(), temperature, np.random.default_rng(9), case=case) for _ in range(1)
        ] + [None]
        repeat_rng = np.random.default_rng(9)
        repeat = learner.repeat("sample", logits.copy(), temperature, repeat_rng, times=20)
        if repeat != draws[:20] or again[0] != draws[0]:
            raise CheckFailed(
                "sample gave different draws for the same seeded rng: use the rng argument "
                "(rng.choice or rng.random), not np.random or random, so runs can be reproduced."
            )
    greedy = {
        learner.call("sample", logits.copy(), 0.0, np.random.default_rng(s), case="temperature 0") for s in range(20)
    }
    if greedy != {int(np.argmax(logits))}:
        raise CheckFailed(
            f"with temperature 0, sample should always return the argmax {int(np.argmax(logits))}; got {sorted(greedy)}"
        )
    return (
        "temperature_probs is exact (also with logits of 1000, a temperature of 0.01 and int logits); sample "
        "draws with the right frequencies from the given rng."
    )
