"""Check for ex07b: top-k probabilities, including k = 1, k = len and the input left untouched."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_close

TITLE = "top-k sampling probabilities"
HINTS = (
    "np.argsort(logits) lists the indices from the smallest to the largest logit, so its last k entries are "
    "the k largest. Make a copy full of -inf, put the k kept logits back in, and take a softmax of that "
    "(exp(-inf) is exactly 0).",
    "    logits = np.asarray(logits, dtype=float)\n"
    "    keep = np.argsort(logits)[...]              # the indices of the k largest\n"
    "    masked = np.full_like(logits, -np.inf)      # a new array: the caller's logits stay as they were\n"
    "    masked[keep] = ...\n"
    "then the same safe softmax as in ex07a: subtract the max, exp, divide by the sum.",
)


def softmax(v):
    e = np.exp(v - np.max(v))
    return e / e.sum()


def top_k(logits, k, renormalise=True, smallest=False):
    order = np.argsort(logits)
    keep = order[:k] if smallest else order[::-1][: max(k, 0)]
    probs = softmax(logits)
    out = np.zeros_like(probs)
    out[keep] = probs[keep]
    return out / out.sum() if renormalise else out


def check(learner):
    rng = np.random.default_rng(10)
    logits = rng.permutation(np.linspace(-3, 3, 10)) + rng.normal(scale=0.01, size=10)
    suspects = Suspects()
    for k in (3, 1, 10, 25):
        values = logits.copy()
        case = f"{len(logits)} distinct logits, k={k}"
        got = learner.call("top_k_probs", values, k, case=case)
        if not np.array_equal(values, logits):
            raise CheckFailed(
                f"case: {case}\ntop_k_probs changed the logits array it was given; work on a copy "
                "(np.array(logits, dtype=float) or logits.copy())."
            )
        mistakes = {
            "by keeping k + 1 logits instead of k (off by one)": top_k(logits, k + 1),
            "by keeping k - 1 logits instead of k (off by one)": top_k(logits, k - 1) if k > 1 else None,
            "without renormalising the kept probabilities to sum to 1": top_k(logits, k, renormalise=False),
            "by keeping the k smallest logits": top_k(logits, k, smallest=True),
        }
        expect_close(
            got,
            top_k(logits, k),
            "top_k_probs",
            case=case,
            axes="index",
            mistakes=suspects.named(got, top_k(logits, k), mistakes),
        )
    big = np.array([1000.0, 998.0, 10.0, 999.0])
    expect_close(
        learner.call("top_k_probs", big.copy(), 2, case="logits [1000, 998, 10, 999], k=2"),
        top_k(big, 2),
        "top_k_probs with logits of about 1000 (overflow?)",
        case="large logits, k=2",
    )
    integers = np.array([1, 5, 3, 2, 4])
    for k in (2, 5):
        case = f"int logits {integers.tolist()} (an int array), k={k}"
        got = learner.call("top_k_probs", integers.copy(), k, case=case)
        expect_close(got, top_k(integers, k), "top_k_probs", case=case, axes="index")
    return (
        "top_k_probs keeps exactly the k largest (k = 1, 3, all, more than all), renormalises, is safe with "
        "large logits and int logits, and leaves its input alone."
    )
