"""Check for ex02b: a GRU step in Keras' layout (the tests prove the reference equals keras.layers.GRU)."""

import numpy as np

from exercises.checking import Suspects, expect_close

TITLE = "one step of a GRU cell (Keras layout)"
HINTS = (
    "Work out two products separately, because the reset gate multiplies only the recurrent part of the "
    "candidate: x @ kernel + bias[0] and h_prev @ recurrent_kernel + bias[1]. Split each into three blocks "
    "(z, r, candidate) with np.split(..., 3, axis=-1).",
    "    x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)\n"
    "    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)\n"
    "    z, r = sigmoid(x_z + h_z), sigmoid(...)\n"
    "    candidate = np.tanh(x_h + r * ...)     # r scales only the recurrent part\n"
    "    return z * ... + (1 - z) * ...          # z near 1 keeps the old state",
)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference(
    x,
    h_prev,
    kernel,
    recurrent_kernel,
    bias,
    swap_z=False,
    swap_gates=False,
    reset_after=True,
    recurrent_bias=True,
    input_bias=True,
):
    units = h_prev.shape[-1]
    x_z, x_r, x_h = np.split(x @ kernel + (bias[0] if input_bias else 0), 3, axis=-1)
    rec_bias = bias[1] if recurrent_bias else 0
    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + rec_bias, 3, axis=-1)
    z, r = sigmoid(x_z + h_z), sigmoid(x_r + h_r)
    if swap_gates:
        z, r = r, z
    if reset_after:
        candidate = np.tanh(x_h + r * h_h)
    else:  # Keras' reset_after=False: the reset gate scales h_prev before the product
        rec_h = (r * h_prev) @ recurrent_kernel[:, 2 * units :] + (bias[1][2 * units :] if recurrent_bias else 0)
        candidate = np.tanh(x_h + rec_h)
    if swap_z:
        return (1 - z) * h_prev + z * candidate
    return z * h_prev + (1 - z) * candidate


def check(learner):
    rng = np.random.default_rng(5)
    suspects = Suspects()
    for case, (batch, features, units) in [
        ("batch 3, 5 features, 4 units", (3, 5, 4)),
        ("batch 2, 3 features, 3 units", (2, 3, 3)),
    ]:
        args = (
            rng.normal(size=(batch, features)),
            rng.normal(scale=0.8, size=(batch, units)),
            rng.normal(scale=0.6, size=(features, 3 * units)),
            rng.normal(scale=0.6, size=(units, 3 * units)),
            rng.normal(scale=0.5, size=(2, 3 * units)),
        )
        got = learner.call("gru_step", *[a.copy() for a in args], case=case)
        mistakes = {
            "with z and 1 - z swapped: h = (1 - z) * h_prev + z * candidate (a textbook convention, "
            "not Keras')": reference(*args, swap_z=True),
            "with the update gate z and the reset gate r swapped": reference(*args, swap_gates=True),
            "with the reset gate applied to h_prev before the product (Keras' reset_after=False)": reference(
                *args, reset_after=False
            ),
            "without the recurrent bias bias[1]": reference(*args, recurrent_bias=False),
            "without the input bias bias[0]": reference(*args, input_bias=False),
        }
        expected = reference(*args)
        expect_close(
            got,
            expected,
            "gru_step(...)",
            case=case,
            axes=("batch row", "unit"),
            mistakes=suspects.named(got, expected, mistakes),
        )
    return "gru_step gives Keras' GRU state (reset_after=True, gate order z, r, h) on 2 cases."
