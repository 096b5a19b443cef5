"""Check for ex05c: one beam-search step on the log-probabilities of ex05b's toy model: the first step,
a middle step, a finished beam, beam width 1 and an all-finished beam. The tests check that the reference,
run in a loop, gives what lesson 05's beam_search gives."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_close, expect_equal, short_repr
from exercises.checks.ex05b_greedy_decode import END, START, ToyModel

TITLE = "one step of beam search"
HINTS = (
    "Make the candidate scores as one (k, vocabulary) array: scores[:, None] + log_probs (broadcasting adds "
    "each beam's score to its whole row). Before that, in a copy of log_probs, give each finished row -inf "
    "everywhere except 0 at end_id. Then flatten it and take the k largest of ALL k * vocabulary numbers; a "
    "flat index i is beam i // vocabulary, word i % vocabulary.",
    "    log_probs = np.array(log_probs, dtype=float)          # a copy\n"
    "    k, vocab = log_probs.shape\n"
    "    log_probs[finished] = -np.inf\n"
    "    log_probs[finished, end_id] = ...\n"
    "    candidates = (scores[:, None] + log_probs).reshape(-1)\n"
    "    best = np.argsort(-candidates)[...]                   # the k best, best first\n"
    "    return best // vocab, ..., candidates[best]",
)


def reference(
    scores, log_probs, finished, end_id, *, cumulative=True, per_beam=False, freeze=True, divide_by_k=False, worst=False
):
    scores = np.asarray(scores, dtype=np.float64)
    log_probs = np.array(log_probs, dtype=np.float64)
    finished = np.asarray(finished, dtype=bool)
    k, vocab = log_probs.shape
    if freeze:
        log_probs[finished] = -np.inf
        log_probs[finished, end_id] = 0.0
    candidates = (scores[:, None] + log_probs) if cumulative else log_probs
    if per_beam:
        tokens = candidates.argmax(axis=1)
        return np.arange(k), tokens, candidates[np.arange(k), tokens]
    flat = candidates.reshape(-1)
    order = np.argsort(flat, kind="stable") if worst else np.argsort(-flat, kind="stable")
    best = order[:k]
    if divide_by_k:
        origin, tokens = best // k, best % k
        if origin.max() >= k:
            return None  # the learner's code would have failed earlier (an origin beam that does not exist)
        return origin, tokens, flat[best]
    return best // vocab, best % vocab, flat[best]


def toy_log_probs(tokens, states):
    log_probs, _ = ToyModel().step(np.array(tokens), np.array(states))
    return log_probs


NEG = -np.inf
CASES = [  # (description, scores, log_probs, finished)
    (
        "the first step: only beam 0 is live (k=3)",
        [0.0, NEG, NEG],
        toy_log_probs([START] * 3, [4, 4, 4]),
        [False, False, False],
    ),
    (
        "a middle step, 4 beams",
        [-1.2, -1.9, -2.6, -4.0],
        toy_log_probs([4, 6, 8, 5], [1, 7, 2, 9]),
        [False, False, False, False],
    ),
    (
        "beam 1 has finished; its model would still propose words",
        [-0.7, -1.5, -3.1],
        toy_log_probs([7, END, 4], [3, 5, 8]),
        [False, True, False],
    ),
    ("beam width 1: greedy", [-2.0], toy_log_probs([6], [10]), [False]),
    ("every beam has finished", [-1.0, -2.5], toy_log_probs([END, END], [2, 6]), [True, True]),
]


def extra_cases():
    """Fewer finite candidates than k (the last new beams are -inf ones), and a wide beam where the order shows."""
    rng = np.random.default_rng(12)
    few_words = np.log(rng.dirichlet(np.ones(3), size=5))
    ruled_out = np.log(rng.dirichlet(np.ones(4), size=3))
    ruled_out[:, 1:] = NEG  # the model gives only one word a chance in each beam
    ruled_out[1] = NEG
    wide = 200
    return [
        (
            "the first step with k=5 and only 3 words: 3 finite candidates, then -inf ones",
            [0.0] + [NEG] * 4,
            few_words,
            [False] * 5,
        ),
        (
            "words the model ruled out (log-probability -inf): 2 finite candidates for k=3",
            [-0.5, -1.0, -2.0],
            ruled_out,
            [False] * 3,
        ),
        (
            f"a wide beam, k={wide}, 10 words",
            np.sort(rng.normal(-20.0, 3.0, size=wide))[::-1],
            np.log(rng.dirichlet(np.ones(10), size=wide)),
            [False] * wide,
        ),
    ]


def as_vector(value, what, k, case, integer, finite):
    array = np.asarray(value) if value is not None else None
    if array is None or array.shape != (k,):
        shape = None if array is None else array.shape
        lines = [
            f"case: {case}",
            f"beam_step's {what} should be an array of k={k} numbers (one per new beam); "
            f"got shape {shape}: {short_repr(value, 200)}",
        ]
        if finite < k and shape == (finite,):
            lines.append(
                f"Only {finite} candidates have a finite score here, but there are still k={k} new beams: "
                "the others are candidates with score -inf (keep them; the caller knows what -inf means)."
            )
        raise CheckFailed("\n".join(lines))
    if integer:
        if not np.array_equal(array.astype(np.float64), np.round(array.astype(np.float64))):
            raise CheckFailed(f"case: {case}\nbeam_step's {what} should be integers; got {array.tolist()}")
        return [int(v) for v in array]
    return array.astype(np.float64)


def described(values):
    """A short text for an argument: the list when it is short, a summary otherwise."""
    values = np.asarray(values)
    if values.size <= 6:
        return str(np.round(values, 3).tolist() if values.dtype.kind == "f" else values.tolist())
    if values.dtype == bool:
        return f"<{values.size} values, {int(values.sum())} True>"
    return f"<{values.size} values between {values.min():.3g} and {values.max():.3g}>"


def check(learner):
    suspects = Suspects()  # one mistake gives both the pairs and the scores
    for case, scores, log_probs, finished in CASES + extra_cases():
        scores, finished = np.array(scores, dtype=np.float64), np.array(finished)
        k, vocab = log_probs.shape
        given = (scores.copy(), log_probs.copy(), finished.copy())
        got = learner.call("beam_step", *given, END, case=case)
        for name, before, after in zip(("scores", "log_probs", "finished"), (scores, log_probs, finished), given):
            if not np.array_equal(before, after):
                raise CheckFailed(
                    f"case: {case}\nbeam_step changed the {name} array it was given; work on a copy "
                    f"(np.array({name}, dtype=float) makes one)."
                )
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise CheckFailed(
                f"case: {case}\nbeam_step should return three arrays (origin, tokens, new_scores); "
                f"it returned {type(got).__name__}: {got!r}"
            )
        want_origin, want_tokens, want_scores = reference(scores, log_probs, finished, END)
        live = np.isfinite(want_scores)  # which (origin, token) of a -inf candidate comes out does not matter
        origin = as_vector(got[0], "origin", k, case, integer=True, finite=int(live.sum()))
        tokens = as_vector(got[1], "tokens", k, case, integer=True, finite=int(live.sum()))
        new_scores = as_vector(got[2], "new_scores", k, case, integer=False, finite=int(live.sum()))
        for what, values, limit in (("origin", origin, k), ("tokens", tokens, vocab)):
            if min(values) < 0 or max(values) >= limit:
                raise CheckFailed(
                    f"case: {case}\nbeam_step's {what} should be between 0 and {limit - 1}; got "
                    f"{short_repr(values, 200)}"
                )
        variants = {
            "without adding each beam's score: candidates must be ranked by the whole sentence's log-probability, "
            "scores[b] + log_probs[b, w]": dict(cumulative=False),
            "by taking the best word of each beam instead of the best k candidates over all beams together": dict(
                per_beam=True
            ),
            "by letting a finished beam go on writing: its only extension is end_id, at no cost": dict(freeze=False),
            "by dividing the flat index by k instead of by the vocabulary size": dict(divide_by_k=True),
            "by keeping the k worst candidates": dict(worst=True),
        }
        results = {text: reference(scores, log_probs, finished, END, **options) for text, options in variants.items()}
        pairs = {
            text: [(int(o), int(t)) for o, t, ok in zip(r[0], r[1], live) if ok]
            for text, r in results.items()
            if r is not None
        }
        call = (
            f"beam_step(scores={described(scores)}, log_probs of shape {log_probs.shape}, "
            f"finished={described(finished)}, end_id={END})"
        )
        got_pairs = [pair for pair, ok in zip(zip(origin, tokens), live) if ok]
        want_pairs = [(int(o), int(t)) for o, t, ok in zip(want_origin, want_tokens, live) if ok]
        unordered = got_pairs != want_pairs and sorted(got_pairs) == sorted(want_pairs)
        pairs[
            "with the right k candidates but not best first (np.argpartition does not sort the k it picks; "
            "np.argsort does)"
        ] = got_pairs if unordered else None
        what = f"{call}'s (origin, token) pairs, best first" + ("" if live.all() else " (the finite-score ones)")
        expect_equal(
            got_pairs,
            want_pairs,
            what,
            case=case,
            mistakes=suspects.named(got_pairs, want_pairs, pairs),
            axes="new beam",
        )
        expect_close(
            new_scores,
            want_scores,
            "beam_step's new_scores",
            case=case,
            axes="new beam",
            mistakes=suspects.named(
                new_scores, want_scores, {text: r[2] for text, r in results.items() if r is not None}
            ),
        )
    return (
        "beam_step ranks all k * vocabulary candidates by their summed log-probability, keeps the best k, "
        "and keeps a finished beam as it is (8 cases, k = 1 to 200, also with fewer finite candidates than k)."
    )
