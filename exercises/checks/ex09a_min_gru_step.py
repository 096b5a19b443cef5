"""Check for ex09a: one minGRU step for a batch, against a float64 NumPy reference (the tests prove it equals lesson
09's min_gru_step on every case here). NumPy arrays (float64 and float32), float32 Keras tensors and a mix of the two
(tensors for x_t and h_prev, NumPy weights as a layer holds them); one unit, one input, one batch row; and first a
case with as many rows as inputs and units, where an element-wise product or a product the other way round still
runs, so that those mistakes give numbers the check can name instead of an error."""

import functools

import numpy as np

from exercises.checking import Suspects, as_tensor, expect_close, maybe

TITLE = "one minGRU step: a gate and a candidate that read x_t only"
HINTS = (
    "Two matrix products of x_t, each with its own weights and bias: x_t @ w_z + b_z for the gate and x_t @ w_h + "
    "b_h for the candidate, both (batch, units) (keras.ops.matmul works on arrays and tensors alike). The gate is "
    "the sigmoid of the first, the candidate is g (given) of the second, not tanh. Neither reads h_prev: h_prev "
    "only comes in at the end, where z is the share of the NEW candidate, (1 - z) * h_prev + z * candidate "
    "(lesson 02's Keras GRU has z and 1 - z the other way round).",
    "    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z) + ...)   # (batch, units): the gate reads x_t only\n"
    "    candidate = g(keras.ops.matmul(..., w_h) + ...)           # g, given in your file: not tanh\n"
    "    return (1 - z) * ... + z * ...                            # z: the share of the candidate\n"
    "In NumPy instead: x_t @ w_z for the product and 1 / (1 + np.exp(-v)) for the sigmoid (g takes either).",
)
ATOL, RTOL = 1e-5, 1e-4  # float32 arithmetic where the learner's code gets float32
SANDBOX_PRELOAD = ("keras",)  # the learner's file imports keras (g is written with keras.ops): start with it imported
AXES = ("batch row", "unit")


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # never overflows


def g(x):
    return np.where(x >= 0, x + 0.5, sigmoid(x))


def reference(
    x_t,
    h_prev,
    w_z,
    b_z,
    w_h,
    b_h,
    *,
    gate_adds_h=False,
    gate_from_h=False,
    candidate_adds_h=False,
    swap_z=False,
    activation="g",
    gate_bias=True,
    candidate_bias=True,
    elementwise=False,
    weights_first=False,
    swap_weights=False,
    unscaled_candidate=False,
):
    """h_t in float64 NumPy; the options make the named mistakes (an impossible product raises: see ``maybe``)."""
    x, h, w_z, b_z, w_h, b_h = (np.asarray(v, dtype=np.float64) for v in (x_t, h_prev, w_z, b_z, w_h, b_h))
    if swap_weights:
        w_z, b_z, w_h, b_h = w_h, b_h, w_z, b_z

    def product(inputs, w):
        if elementwise:
            return inputs * w
        if weights_first:
            return w @ inputs
        return inputs @ w

    gate_in = product(h if gate_from_h else x, w_z) + (b_z if gate_bias else 0.0) + (h if gate_adds_h else 0.0)
    z = sigmoid(gate_in)
    pre = product(x, w_h) + (b_h if candidate_bias else 0.0) + (h if candidate_adds_h else 0.0)
    candidate = {"g": g, "tanh": np.tanh, "sigmoid": sigmoid, "none": lambda v: v}[activation](pre)
    if swap_z:
        return z * h + (1 - z) * candidate
    if unscaled_candidate:
        return (1 - z) * h + candidate
    return (1 - z) * h + z * candidate


GATE_ONLY_X = "The minGRU's gate reads x_t only: that is what lets lesson 09 compute every step's gate at once"
MISTAKES = {
    "with the gate reading h_prev, z = sigmoid(x_t @ w_z + h_prev + b_z): a GRU habit. " + GATE_ONLY_X: dict(
        gate_adds_h=True
    ),
    "with the gate computed from h_prev, sigmoid(h_prev @ w_z + b_z), a GRU habit: w_z multiplies x_t. "
    + GATE_ONLY_X: dict(gate_from_h=True),
    "with the candidate reading h_prev, g(x_t @ w_h + h_prev + b_h): a GRU habit. The minGRU's candidate, like its "
    "gate, reads x_t only": dict(candidate_adds_h=True),
    "with z and 1 - z swapped, h = z * h_prev + (1 - z) * candidate: that is lesson 02's Keras GRU. In the minGRU z "
    "is the share of the NEW candidate: h = (1 - z) * h_prev + z * candidate": dict(swap_z=True),
    "with tanh as the candidate's activation (a GRU habit): the minGRU uses g, given in your file (x + 1/2 for "
    "x >= 0, sigmoid below), which is always positive": dict(activation="tanh"),
    "with sigmoid as the candidate's activation: sigmoid is g only below 0; use g, given in your file": dict(
        activation="sigmoid"
    ),
    "without an activation on the candidate: candidate = g(x_t @ w_h + b_h)": dict(activation="none"),
    "without the gate's bias b_z: z = sigmoid(x_t @ w_z + b_z)": dict(gate_bias=False),
    "without the candidate's bias b_h: candidate = g(x_t @ w_h + b_h)": dict(candidate_bias=False),
    "with element-wise products, x_t * w_z and x_t * w_h: they need matrix products, x_t @ w_z or "
    "keras.ops.matmul(x_t, w_z), which give (batch, units)": dict(elementwise=True),
    "with the products the other way round, w_z @ x_t (lesson 01's column vectors): here each batch row is one "
    "input, so x_t @ w_z": dict(weights_first=True),
    "with the weights swapped: the gate uses w_z and b_z, the candidate w_h and b_h": dict(swap_weights=True),
    "with the candidate added without its gate, (1 - z) * h_prev + candidate: the candidate's share is z, "
    "z * candidate": dict(unscaled_candidate=True),
}


def cases():
    """(description, [x_t, h_prev, w_z, b_z, w_h, b_h] as float64 arrays, the dtype sent, which travel as tensors)."""
    rng = np.random.default_rng(9)

    def draw(batch, inputs, units, state_scale=1.0):
        return [
            rng.normal(0.0, 1.0, (batch, inputs)),
            rng.normal(0.0, state_scale, (batch, units)),
            rng.normal(0.0, 0.9, (inputs, units)),
            rng.normal(0.0, 0.5, (units,)),
            rng.normal(0.0, 0.9, (inputs, units)),
            rng.normal(0.0, 0.5, (units,)),
        ]

    numpy, tensors, state_only = (False,) * 6, (True,) * 6, (True, True, False, False, False, False)
    return [
        (
            "batch 3, 3 inputs, 3 units (as many rows as inputs and units); NumPy float64 arrays",
            draw(3, 3, 3),
            "float64",
            numpy,
        ),
        ("batch 4, 5 inputs, 2 units; NumPy float64 arrays", draw(4, 5, 2), "float64", numpy),
        (
            "batch 2, 3 inputs, 4 units (lesson 09's toy sizes); float32 Keras tensors",
            draw(2, 3, 4),
            "float32",
            tensors,
        ),
        (
            "ONE unit: batch 5, 3 inputs, 1 unit (w_z and w_h of shape (3, 1), b_z and b_h of shape (1,)); NumPy "
            "float32 arrays",
            draw(5, 3, 1),
            "float32",
            numpy,
        ),
        (
            "ONE batch row and ONE input: batch 1, 1 input, 6 units; float32 Keras tensors",
            draw(1, 1, 6),
            "float32",
            tensors,
        ),
        (
            "batch 3, 4 inputs, 3 units; x_t and h_prev float32 Keras tensors, the weights and biases float32 NumPy "
            "arrays (as a layer holds them)",
            draw(3, 4, 3),
            "float32",
            state_only,
        ),
        (
            "a state far from the candidates (h_prev around -6 to 6), batch 2, 2 inputs, 5 units; NumPy float64 arrays",
            draw(2, 2, 5, state_scale=3.0),
            "float64",
            numpy,
        ),
    ]


ARGUMENTS = ("x_t", "h_prev", "w_z", "b_z", "w_h", "b_h")


def shown(values, dtype, tensors) -> str:
    kinds = ", ".join(
        f"{name} {'tensor' if tensor else 'array'} {tuple(value.shape)}"
        for name, value, tensor in zip(ARGUMENTS, values, tensors)
    )
    return f"min_gru_step({kinds}; {dtype})"


def check(learner):
    suspects = Suspects(atol=ATOL, rtol=RTOL)  # a cause is named only when the evidence singles it out
    for number, (description, values, dtype, tensors) in enumerate(cases()):
        case = f"#{number + 1}, {description}"
        sent = [v.astype(dtype) for v in values]
        given = [as_tensor(v) if tensor else v.copy() for v, tensor in zip(sent, tensors)]
        got = learner.call("min_gru_step", *given, case=case)
        expected = reference(*sent)
        mistakes = {text: maybe(functools.partial(reference, *sent, **options)) for text, options in MISTAKES.items()}
        expect_close(
            got,
            expected,
            shown(sent, dtype, tensors),
            case=case,
            atol=ATOL,
            rtol=RTOL,
            axes=AXES,
            mistakes=suspects.named(got, expected, mistakes),
        )
    return (
        f"min_gru_step equals lesson 09's step on {len(cases())} batches (NumPy arrays, Keras tensors and both "
        "mixed; one unit, one input, one row): the gate and the candidate read x_t only, g on the candidate, "
        "z its share."
    )
