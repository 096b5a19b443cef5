"""Check for ex01a: one RNN step against the formula, on shapes where mistakes show."""

import numpy as np

from exercises.checking import Suspects, expect_close, maybe

TITLE = "one step of a vanilla RNN"
HINTS = (
    "The new state is tanh of a sum of three terms: the recurrent weights times the previous state, "
    "the input weights times the input, and the bias. In NumPy, A @ v multiplies a matrix by a vector.",
    "W_hh has shape (hidden, hidden) and h_prev (hidden,), so W_hh @ h_prev has shape (hidden,); "
    "so does W_xh @ x. Add the bias to their sum and apply np.tanh to the whole sum:\n"
    "    return np.tanh(... @ h_prev + ... @ x + ...)",
)


def cases():
    rng = np.random.default_rng(1)
    for name, features, hidden, scale in [
        ("3 features, 4 hidden units", 3, 4, 0.5),
        ("5 features, 5 hidden units (square weights, so a transposed matrix still fits)", 5, 5, 0.5),
        ("large weights, so tanh saturates", 3, 4, 3.0),
    ]:
        yield (
            name,
            (
                rng.normal(size=features),
                rng.normal(size=hidden),
                rng.normal(scale=scale, size=(hidden, features)),
                rng.normal(scale=scale, size=(hidden, hidden)),
                rng.normal(size=hidden),
            ),
        )


def step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)


def elementwise_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh * h_prev + W_xh * x + b_h)


def check(learner):
    suspects = Suspects()
    for name, (x, h_prev, W_xh, W_hh, b_h) in cases():
        args = [a.copy() for a in (x, h_prev, W_xh, W_hh, b_h)]
        got = learner.call("rnn_step", *args, case=name)
        expected = step(x, h_prev, W_xh, W_hh, b_h)
        mistakes = {
            "without the bias b_h": step(x, h_prev, W_xh, W_hh, 0),
            "without the tanh": W_hh @ h_prev + W_xh @ x + b_h,
            "with W_hh transposed (W_hh.T @ h_prev)": step(x, h_prev, W_xh, W_hh.T, b_h),
            "with W_xh transposed (W_xh.T @ x)": maybe(step, x, h_prev, W_xh.T, W_hh, b_h),
            "by ignoring the previous state h_prev": step(x, 0 * h_prev, W_xh, W_hh, b_h),
            "with elementwise * instead of the matrix product @": maybe(elementwise_step, x, h_prev, W_xh, W_hh, b_h),
        }
        expect_close(
            got,
            expected,
            "rnn_step(x, h_prev, W_xh, W_hh, b_h)",
            case=name,
            mistakes=suspects.named(got, expected, mistakes),
        )
    return "rnn_step matches h_t = tanh(W_hh h_{t-1} + W_xh x_t + b_h) on 3 cases (incl. square and saturated)."
