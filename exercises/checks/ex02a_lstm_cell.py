"""Check for ex02a: an LSTM step in Keras' layout (the tests prove the reference equals keras.layers.LSTM)."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_close

TITLE = "one step of an LSTM cell (Keras layout)"
HINTS = (
    "z = x @ kernel + h_prev @ recurrent_kernel + bias has shape (batch, 4 * units). Split its last axis "
    "into four blocks of `units` columns, in the order i, f, g, o (np.split(z, 4, axis=-1)). Three of "
    "the gates use sigmoid; the candidate g uses tanh.",
    "    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)\n"
    "    i, f, o = sigmoid(z_i), sigmoid(...), sigmoid(...)\n"
    "    g = np.tanh(...)\n"
    "    c = ... * c_prev + ... * g     # keep some of the old cell, write some of the candidate\n"
    "    h = o * np.tanh(...)          # tanh of the NEW cell\n"
    "    return h, c",
)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference(
    x,
    h_prev,
    c_prev,
    kernel,
    recurrent_kernel,
    bias,
    order="ifgo",
    use_bias=True,
    candidate=np.tanh,
    forget=True,
    output_tanh=True,
):
    z = x @ kernel + h_prev @ recurrent_kernel + (bias if use_bias else 0)
    blocks = dict(zip(order, np.split(z, 4, axis=-1)))
    i, f, g, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), candidate(blocks["g"]), sigmoid(blocks["o"])
    c = (f * c_prev if forget else 0) + i * g
    h = o * (np.tanh(c) if output_tanh else c)
    return h, c


def weights(rng, batch, features, units):
    return (
        rng.normal(size=(batch, features)),
        rng.normal(scale=0.5, size=(batch, units)),
        rng.normal(size=(batch, units)),
        rng.normal(scale=0.5, size=(features, 4 * units)),
        rng.normal(scale=0.5, size=(units, 4 * units)),
        rng.normal(scale=0.5, size=4 * units),
    )


def swapped(got, h, c):
    """Whether the learner's pair is exactly (c, h), and not also right (h and c differ)."""
    try:
        first, second = (np.asarray(v, dtype=np.float64) for v in got)
    except (TypeError, ValueError):
        return False
    return (
        first.shape == c.shape
        and second.shape == h.shape
        and not np.allclose(h, c)
        and np.allclose(first, c, atol=1e-6)
        and np.allclose(second, h, atol=1e-6)
    )


def check(learner):
    rng = np.random.default_rng(4)
    suspects = Suspects()  # a mistake ruled out by c stays ruled out for h
    for case, (batch, features, units) in [
        ("batch 3, 5 features, 4 units", (3, 5, 4)),
        ("batch 1, 2 features, 6 units", (1, 2, 6)),
    ]:
        args = weights(rng, batch, features, units)
        got = learner.call("lstm_step", *[a.copy() for a in args], case=case)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(
                f"lstm_step should return the pair (h, c); it returned {type(got).__name__}"
                + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "")
            )
        h, c = reference(*args)
        if swapped(got, h, c):
            raise CheckFailed(
                f"case: {case}\nlstm_step returned (c, h): its first result equals the new cell state c "
                "and its second the new output h. Return them in the order (h, c), as Keras' LSTM "
                "cell gives them (h is the output; c is the memory carried to the next step)."
            )
        variants = {
            "with the input gate i and the forget gate f swapped": dict(order="figo"),
            "with the gates in the order i, f, o, g (Keras uses i, f, g, o)": dict(order="ifog"),
            "with the gates in the order i, o, f, g": dict(order="iofg"),
            "without the bias": dict(use_bias=False),
            "with sigmoid instead of tanh for the candidate g": dict(candidate=sigmoid),
            "without the forget gate's term f * c_prev": dict(forget=False),
            "with h = o * c (the tanh of the new cell is missing)": dict(output_tanh=False),
        }
        wrong = {text: reference(*args, **kw) for text, kw in variants.items()}
        expect_close(
            got[1],
            c,
            "the new cell state c",
            case=case,
            axes=("batch row", "unit"),
            mistakes=suspects.named(got[1], c, {k: v[1] for k, v in wrong.items()}),
        )
        expect_close(
            got[0],
            h,
            "the new output h",
            case=case,
            axes=("batch row", "unit"),
            mistakes=suspects.named(got[0], h, {k: v[0] for k, v in wrong.items()}),
        )
    return "lstm_step gives Keras' LSTM h and c (gate order i, f, g, o) on 2 cases."
