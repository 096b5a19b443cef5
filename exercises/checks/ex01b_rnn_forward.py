"""Check for ex01b: unrolling over a sequence, with and without an initial state."""

import numpy as np

from exercises.checking import Suspects, expect_close

TITLE = "unroll an RNN over a sequence"
HINTS = (
    "Keep a variable h for the current state. Before the loop it is h0, or np.zeros(hidden) when h0 is "
    "None (hidden = W_hh.shape[0]). In the loop, h = rnn_step(x, h, ...) and remember every new h.",
    "    h = np.zeros(W_hh.shape[0]) if h0 is None else h0\n"
    "    states = []\n"
    "    for x in xs:             # the rows of xs are the time steps\n"
    "        h = ...              # one step, from the current h\n"
    "        states.append(...)\n"
    "    return np.stack(states)  # shape (time, hidden); h0 itself is not included",
)


def reference(xs, W_xh, W_hh, b_h, h0, carry=True, include_h0=False):
    h = np.zeros(W_hh.shape[0]) if h0 is None else h0
    states = [h] if include_h0 else []
    for x in xs:
        new = np.tanh(W_hh @ h + W_xh @ x + b_h)
        h = new if carry else h
        states.append(new)
    return np.stack(states)


def check(learner):
    rng = np.random.default_rng(2)
    features, hidden = 3, 4
    W_xh = rng.normal(scale=0.6, size=(hidden, features))
    W_hh = rng.normal(scale=0.6, size=(hidden, hidden))
    b_h = rng.normal(scale=0.3, size=hidden)
    suspects = Suspects()
    for name, steps, h0 in [
        ("7 steps, h0=None (zeros)", 7, None),
        ("5 steps, a given h0", 5, rng.normal(size=hidden)),
        ("1 step, h0=None", 1, None),
    ]:
        xs = rng.normal(size=(steps, features))
        given_h0 = None if h0 is None else h0.copy()
        got = learner.call("rnn_forward", xs.copy(), W_xh.copy(), W_hh.copy(), b_h.copy(), given_h0, case=name)
        expected = reference(xs, W_xh, W_hh, b_h, h0)
        mistakes = {
            "by returning only the last state": expected[-1],
            "by including the initial state h0 as the first row": reference(xs, W_xh, W_hh, b_h, h0, include_h0=True),
            "by returning the initial state plus all but the last step (off by one)": reference(
                xs, W_xh, W_hh, b_h, h0, include_h0=True
            )[:-1],
            "without carrying the state: every step starts again from h0": reference(
                xs, W_xh, W_hh, b_h, h0, carry=False
            ),
            "by ignoring the given h0 (always starting from zeros)": reference(xs, W_xh, W_hh, b_h, None),
        }
        if steps > 1:
            expect_close(
                got,
                expected,
                "rnn_forward(xs, ...)",
                case=name,
                mistakes=suspects.named(got, expected, mistakes),
                axes=("time step", "hidden unit"),
            )
        else:
            expect_close(
                got,
                expected,
                "rnn_forward(xs, ...)",
                case=name,
                axes=("time step", "hidden unit"),
                mistakes=suspects.named(
                    got, expected, {"by returning only the last state (shape (hidden,), not (1, hidden))": expected[-1]}
                ),
            )
    return (
        "rnn_forward returns (time, hidden) states equal to unrolling the step, for 1, 5 and 7 steps, with and "
        "without h0."
    )
