"""Check for ex01c: one step of BPTT against finite differences and the analytic reference."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_close, maybe

TITLE = "backpropagation through one RNN step"
HINTS = (
    "Go backwards through the two lines of the step. First through h = tanh(a): da = dh * (1 - h**2), "
    "elementwise. Then a = W_hh @ h_prev + W_xh @ x + b_h is linear: each weight's gradient is an outer "
    "product of da with the vector that weight multiplied.",
    "    da = dh * (1 - h**2)          # back through tanh\n"
    '    "W_xh": np.outer(da, x)       # shape (hidden, features): [i, j] = da[i] * x[j]\n'
    '    "W_hh": np.outer(da, ...)     # which vector did W_hh multiply?\n'
    '    "b_h": ...                    # the bias was added as it is\n'
    '    "h_prev": ... @ da            # back through W_hh, transposed',
)
KEYS = ("W_xh", "W_hh", "b_h", "h_prev")


def numeric_gradients(dh, x, h_prev, W_xh, W_hh, b_h, eps=1e-6):
    """Finite differences of L = sum(dh * h), whose gradient with respect to h is exactly dh."""

    def loss(values):
        return float(np.sum(dh * np.tanh(values["W_hh"] @ values["h_prev"] + values["W_xh"] @ x + values["b_h"])))

    values = {"W_xh": W_xh.copy(), "W_hh": W_hh.copy(), "b_h": b_h.copy(), "h_prev": h_prev.copy()}
    grads = {}
    for key, value in values.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            old = value[index]
            value[index] = old + eps
            plus = loss(values)
            value[index] = old - eps
            minus = loss(values)
            value[index] = old
            grad[index] = (plus - minus) / (2 * eps)
        grads[key] = grad
    return grads


# what a gradient's positions mean: W_xh is (hidden, features), W_hh is (hidden, hidden)
AXES = {
    "W_xh": ("hidden unit", "input feature"),
    "W_hh": ("hidden unit", "previous hidden unit"),
    "b_h": "hidden unit",
    "h_prev": "previous hidden unit",
}


def check(learner):
    rng = np.random.default_rng(3)
    features, hidden = 3, 4
    x, h_prev = rng.normal(size=features), rng.normal(size=hidden)
    W_xh, W_hh = rng.normal(scale=0.7, size=(hidden, features)), rng.normal(scale=0.7, size=(hidden, hidden))
    b_h, dh = rng.normal(scale=0.3, size=hidden), rng.normal(size=hidden)
    h = np.tanh(W_hh @ h_prev + W_xh @ x + b_h)
    case = "3 features, 4 hidden units, random dh"
    got = learner.call(
        "rnn_step_backward", dh.copy(), x.copy(), h_prev.copy(), h.copy(), W_xh.copy(), W_hh.copy(), case=case
    )
    if not isinstance(got, dict):
        raise CheckFailed(
            f"rnn_step_backward should return a dict with keys {', '.join(KEYS)}; it returned a {type(got).__name__}"
        )
    missing = [k for k in KEYS if k not in got]
    if missing:
        raise CheckFailed(
            f"the dict returned by rnn_step_backward has no key(s) {', '.join(map(repr, missing))} "
            f"(it has {', '.join(map(repr, got))})"
        )
    expected = numeric_gradients(dh, x, h_prev, W_xh, W_hh, b_h)
    da = dh * (1 - h**2)
    mistakes = {
        "W_xh": {
            "with the outer product the wrong way round (np.outer(x, da))": np.outer(x, da),
            "without the tanh derivative (using dh instead of da)": np.outer(dh, x),
            "with the tanh derivative applied twice, as 1 - tanh(h)**2": np.outer(dh * (1 - np.tanh(h) ** 2), x),
        },
        "W_hh": {
            "with the outer product the wrong way round (np.outer(h_prev, da))": np.outer(h_prev, da),
            "without the tanh derivative (using dh instead of da)": np.outer(dh, h_prev),
            "with the tanh derivative of h_prev instead of h": np.outer(dh * (1 - h_prev**2), h_prev),
        },
        "b_h": {
            "without the tanh derivative (using dh instead of da)": dh,
            "with the tanh derivative applied twice, as 1 - tanh(h)**2": dh * (1 - np.tanh(h) ** 2),
        },
        "h_prev": {
            "with W_hh instead of W_hh.T (W_hh @ da)": W_hh @ da,
            "without the tanh derivative (W_hh.T @ dh)": W_hh.T @ dh,
            "by forgetting the weights: da alone": da,
            "with W_xh.T @ da, which is the gradient for x, not for h_prev": maybe(np.matmul, W_xh.T, da),
        },
    }
    for key in KEYS:
        expect_close(
            got[key],
            expected[key],
            f'the gradient ["{key}"]',
            case=case,
            atol=1e-6,
            rtol=1e-4,
            mistakes=Suspects(atol=1e-6, rtol=1e-4).named(got[key], expected[key], mistakes[key]),
            axes=AXES[key],
        )
    return "all four gradients agree with finite differences of the loss (to 1e-6)."
