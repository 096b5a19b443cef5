"""Check for ex02c: clipping by global norm, including the cases where nothing must change."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_close

TITLE = "gradient clipping by global norm"
HINTS = (
    "The global norm is the length of all gradients together: square every element of every array, add "
    "them all up, take the square root. Only when that is larger than max_norm, multiply every array by the "
    "same factor max_norm / global_norm.",
    "    global_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads)))\n"
    "    scale = ... if global_norm > max_norm else 1.0\n"
    "    return [... for g in grads], global_norm\n"
    "(g * scale makes a new array; g *= scale would change the caller's gradients.)",
)


def reference(grads, max_norm, per_array=False, always=False, sum_of_norms=False, squared=False):
    if per_array:
        return [g * min(1.0, max_norm / max(np.linalg.norm(g), 1e-300)) for g in grads]
    norm = sum(np.linalg.norm(g) for g in grads) if sum_of_norms else np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = max_norm / norm if (always or (norm**2 if squared else norm) > max_norm) else 1.0
    return [g * scale for g in grads]


def flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def check(learner):
    rng = np.random.default_rng(6)
    base = [rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(2, 2, 2))]
    norm = float(np.sqrt(sum(np.sum(g**2) for g in base)))
    cases = [
        ("3 arrays whose global norm is about 5, max_norm=1 (must be clipped)", base, 1.0),
        ("the same arrays, max_norm=100 (already small: must stay unchanged)", base, 100.0),
        ("one array 100x larger than the others, max_norm=2", [base[0] * 100, base[1], base[2]], 2.0),
        ("all gradients zero, max_norm=1 (no division by zero)", [np.zeros((2, 2)), np.zeros(3)], 1.0),
        (
            "global norm 3, max_norm=4 (below max_norm, but its square 9 is above: must stay unchanged)",
            [g * (3.0 / norm) for g in base],
            4.0,
        ),
        (
            "global norm 0.6, max_norm=0.5 (above max_norm, but its square 0.36 is below: must be clipped)",
            [g * (0.6 / norm) for g in base],
            0.5,
        ),
    ]
    suspects = Suspects()  # the norm and the clipped arrays rule out the same mistakes
    for case, grads, max_norm in cases:
        given = [g.copy() for g in grads]
        got = learner.call("clip_by_global_norm", given, max_norm, case=case)
        if not isinstance(got, (tuple, list)) or len(got) != 2 or not isinstance(got[0], (list, tuple)):
            raise CheckFailed(
                "clip_by_global_norm should return a pair (list of clipped arrays, global norm); "
                f"it returned {type(got).__name__}"
                + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
            )
        clipped, got_norm = got
        for i, (before, after) in enumerate(zip(grads, given)):
            if not np.array_equal(before, after):
                raise CheckFailed(
                    f"case: {case}\nclip_by_global_norm changed the array grads[{i}] it was given "
                    "(in place, e.g. with *=). Return new arrays instead: g * scale."
                )
        if len(clipped) != len(grads):
            raise CheckFailed(
                f"case: {case}\nexpected {len(grads)} clipped arrays (one per gradient), got {len(clipped)}"
            )
        for i, (g, c) in enumerate(zip(grads, clipped)):
            if np.shape(c) != g.shape:
                raise CheckFailed(
                    f"case: {case}\nclipped array {i} has the wrong shape: expected {g.shape}, got {np.shape(c)}"
                )
        expected = reference(grads, max_norm)
        true_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads)))
        norm_mistakes = {
            "with the sum of the arrays' norms instead of one norm over all elements": sum(
                np.linalg.norm(g) for g in grads
            ),
            "with the norm after clipping instead of before": np.sqrt(sum(np.sum(g**2) for g in expected)),
            "without the square root": true_norm**2,
        }
        expect_close(
            got_norm,
            true_norm,
            "the returned global norm",
            case=case,
            mistakes=suspects.named(got_norm, true_norm, norm_mistakes),
        )
        mistakes = {
            "by clipping each array by its own norm (that is clipnorm, not global_clipnorm)": flat(
                reference(grads, max_norm, per_array=True)
            ),
            "by scaling every time, also when the norm is already below max_norm": flat(
                reference(grads, max_norm, always=True)
            )
            if true_norm > 0
            else None,
            "with the sum of the arrays' norms instead of one norm over all elements": flat(
                reference(grads, max_norm, sum_of_norms=True)
            ),
            "by comparing the squared norm (without the square root) with max_norm": flat(
                reference(grads, max_norm, squared=True)
            ),
        }
        expect_close(
            flat(clipped),
            flat(expected),
            "the clipped gradients (all arrays flattened and joined)",
            case=case,
            mistakes=suspects.named(flat(clipped), flat(expected), mistakes),
        )
    return (
        f"clip_by_global_norm clips by one norm over all arrays (e.g. {norm:.3f} -> 1), leaves small and "
        "zero gradients alone, and does not touch its inputs."
    )
