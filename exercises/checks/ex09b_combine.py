"""Check for ex09b: `combine`, two steps (a1, b1) then (a2, b2) of h_t = a_t * h_{t-1} + b_t made into one.

First the learner's function called directly: it must return a pair, then be associative on three random steps
(grouping the first two or the last two gives the same step: what keras.ops.associative_scan relies on), then give
(a1 * a2, a2 * b1 + b2) on NumPy float64 arrays and on float32 Keras tensors. Then, in the learner's process,
keras.ops.associative_scan(combine, (a, b), axis=1) on windows of (batch, T, units): A_t * h0 + B_t must equal a plain
loop of the recurrence, for T = 8, odd lengths (5, 7, 13), T = 1 and 2, a = 0 (every step forgets the state),
a = 1 (the states add up), a mix of 0, 1 and values between, one unit and a non-zero h0 (an A_t that is wrong shows
only there). The tests prove that `combine` below is lesson 09's and that `loop` equals its linear_recurrence_loop."""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import numpy as np

from exercises.checking import (
    CheckFailed,
    Suspects,
    as_tensor,
    expect_close,
    format_array,
    shape_str,
    short_repr,
)

TITLE = "combine two steps of a linear recurrence into one, for a parallel scan"
HINTS = (
    "Each argument is one whole step, a pair: a1, b1 = first and a2, b2 = second. Apply the first step to h, then "
    "the second to what comes out: a2 * (a1 * h + b1) + b2. Multiply the bracket out and collect the terms: those "
    "with h make A (what multiplies h), the others make B. The order matters: `first` is the earlier step, so it "
    "is b1, not b2, that the second step's a2 multiplies. Return the pair, `return A, B`: element-wise * and + "
    "work on arrays and Keras tensors alike.",
    "a2 * (a1 * h + b1) + b2 = (a1 * a2) * h + (a2 * b1 + b2), so:\n"
    "    a1, b1 = first                     # the earlier step\n"
    "    a2, b2 = second                    # the later one\n"
    "    return a1 * ..., a2 * ... + ...    # (A, B): h -> A * h + B\n"
    "Two items, a tuple (not keras.ops.stack, which makes one tensor): associative_scan needs (a, b)'s structure "
    "back.",
)
ATOL, RTOL = 1e-5, 1e-4  # float32 arithmetic in the tensor cases and the scans
SCAN_AXES = ("sequence", "time step", "unit")


# ---------------------------------------------------------------- the reference, and the mistakes it can make
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2


ORDER = (
    "with the steps in the wrong order, a1 * b2 + b1 (as if `second` were the earlier step): `first` is applied "
    "first, h -> a2 * (a1 * h + b1) + b2 = (a1 * a2) * h + (a2 * b1 + b2)"
)
MISTAKES = {  # description -> (a1, b1, a2, b2) -> (A, B)
    ORDER: lambda a1, b1, a2, b2: (a1 * a2, a1 * b2 + b1),
    "by adding the b's, b1 + b2: b1 goes through the second step's multiplication too, a2 * b1 + b2": (
        lambda a1, b1, a2, b2: (a1 * a2, b1 + b2)
    ),
    "by adding the a's, a1 + a2: two steps multiply h by a1 and then by a2, by a1 * a2 in all (sums are for their "
    "logarithms, lesson 09's log-space form)": (lambda a1, b1, a2, b2: (a1 + a2, a2 * b1 + b2)),
    "with a2 * (b1 + b2): the second step multiplies h by a2 and THEN adds b2, so B = a2 * b1 + b2": (
        lambda a1, b1, a2, b2: (a1 * a2, a2 * (b1 + b2))
    ),
    "by unpacking `first` as (a1, a2) and `second` as (b1, b2): each argument is one whole step, (a, b), so "
    "a1, b1 = first and a2, b2 = second": lambda a1, b1, a2, b2: (a1 * b1, b1 * a2 + b2),
    "by returning (B, A): a step is (a, b), the multiplier first, as associative_scan gets (a, b)": (
        lambda a1, b1, a2, b2: (a2 * b1 + b2, a1 * a2)
    ),
}


def mistaken(first, second):
    """{description: what that mistake returns for these two steps}, in float64."""
    values = [np.asarray(v, dtype=np.float64) for v in (*first, *second)]
    return {text: tuple(mistake(*values)) for text, mistake in MISTAKES.items()}


def loop(a, b, h0):
    """h_t = a_t * h_{t-1} + b_t, one step at a time, from h0: (batch, T, units) in float64."""
    a, b, h = (np.asarray(v, dtype=np.float64) for v in (a, b, h0))
    states = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        states.append(h)
    return np.stack(states, axis=1)


def prefix_steps(a, b, step=combine):
    """Every prefix (A_t, B_t), folded one step at a time with ``step``, in float64: what the scan computes for an
    associative ``step`` (a mistake's scan, for naming it)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    running = (a[:, 0], b[:, 0])
    prefixes = [running]
    for t in range(1, a.shape[1]):
        running = step(running, (a[:, t], b[:, t]))
        prefixes.append(running)
    return np.stack([p[0] for p in prefixes], axis=1), np.stack([p[1] for p in prefixes], axis=1)


# ---------------------------------------------------------------- the cases
def direct_cases():
    """(description, first, second, whether they travel as Keras tensors): two steps, as combine gets them."""
    rng = np.random.default_rng(90)

    def step(shape, dtype):
        return rng.uniform(0.1, 0.9, shape).astype(dtype), rng.normal(0.0, 1.0, shape).astype(dtype)

    return [
        ("two steps of shape (2, 3), NumPy float64 arrays", step((2, 3), "float64"), step((2, 3), "float64"), False),
        ("two steps of shape (4, 1), float32 Keras tensors", step((4, 1), "float32"), step((4, 1), "float32"), True),
        (
            "two steps of shape (2, 5, 3), a slice of a window as the scan gives them, float32 Keras tensors",
            step((2, 5, 3), "float32"),
            step((2, 5, 3), "float32"),
            True,
        ),
    ]


def associativity_steps():
    """Three steps of shape (2, 3), float64, whose a's are not all below 1 (any step is a step)."""
    rng = np.random.default_rng(91)
    return [(rng.uniform(0.2, 1.5, (2, 3)), rng.normal(0.0, 1.0, (2, 3))) for _ in range(3)]


def scan_cases():
    """(description, a, b, h0, whether a and b travel as Keras tensors): windows (batch, T, units) of the recurrence."""
    rng = np.random.default_rng(92)

    def window(batch, length, units, dtype="float64", a=None):
        z = rng.uniform(0.05, 0.95, (batch, length, units))  # a = 1 - z, b = z * candidate, as in the minGRU
        candidate = np.where(rng.random((batch, length, units)) < 0.5, rng.uniform(0.05, 0.5), rng.uniform(0.5, 2.5))
        a_values = 1 - z if a is None else np.broadcast_to(a, z.shape)
        return np.array(a_values, dtype=dtype), (z * candidate).astype(dtype)

    def start(batch, units, dtype="float64"):
        return (rng.uniform(0.5, 2.0, (batch, units)) * rng.choice([-1.0, 1.0], (batch, units))).astype(dtype)

    mixed_a = rng.choice([0.0, 1.0, 0.3, 0.8], (2, 13, 3))
    return [
        (
            "T = 8, batch 2, 3 units, a = 1 - z, h0 != 0; float32 Keras tensors",
            *window(2, 8, 3, "float32"),
            start(2, 3, "float32"),
            True,
        ),
        ("T = 7 (odd), batch 3, 2 units, h0 != 0; NumPy float64 arrays", *window(3, 7, 2), start(3, 2), False),
        ("T = 5 (odd), batch 2, 4 units, h0 = 0; NumPy float64 arrays", *window(2, 5, 4), np.zeros((2, 4)), False),
        (
            "a = 0 everywhere (each step forgets the state: h_t = b_t), T = 6, h0 != 0; NumPy float64 arrays",
            *window(2, 6, 3, a=0.0),
            start(2, 3),
            False,
        ),
        (
            "a = 1 everywhere (the state adds up: h_t = h0 + b_1 + ... + b_t), T = 9, h0 != 0; NumPy float64 arrays",
            *window(2, 9, 3, a=1.0),
            start(2, 3),
            False,
        ),
        (
            "a mix of 0, 1, 0.3 and 0.8, T = 13 (odd), h0 != 0; NumPy float64 arrays",
            *window(2, 13, 3, a=mixed_a),
            start(2, 3),
            False,
        ),
        (
            "T = 1 (one step: combine is not even called), h0 != 0; NumPy float64 arrays",
            *window(2, 1, 3),
            start(2, 3),
            False,
        ),
        (
            "T = 2 (one combine), batch 1, 3 units, h0 != 0; float32 Keras tensors",
            *window(1, 2, 3, "float32"),
            start(1, 3, "float32"),
            True,
        ),
        (
            "T = 64, ONE unit, batch 2, h0 != 0; float32 Keras tensors",
            *window(2, 64, 1, "float32"),
            start(2, 1, "float32"),
            True,
        ),
    ]


# ---------------------------------------------------------------- in the learner's process
SANDBOX_PRELOAD = ("keras",)  # the check runs keras.ops.associative_scan there
SANDBOX_PROBES = ("scan_probe",)  # run in the learner's process (exercises/sandbox.py)


def scan_probe(learner, a, b, tensors):
    """In the learner's process: keras.ops.associative_scan(combine, (a, b), axis=1) with the learner's combine.
    Returns [A, B] as NumPy arrays, or a text saying what came out instead."""
    import keras

    if tensors:
        a, b = keras.ops.convert_to_tensor(a), keras.ops.convert_to_tensor(b)
    result = keras.ops.associative_scan(learner.function("combine"), (a, b), axis=1)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return f"{type(result).__name__}: {short_repr(result, 120)}"
    return [np.asarray(keras.ops.convert_to_numpy(part), dtype=np.float64) for part in result]


# ---------------------------------------------------------------- the check
def kind(value, tensors) -> str:
    return f"{'float32 Keras tensors' if tensors else 'NumPy ' + str(np.asarray(value).dtype) + ' arrays'}"


def as_pair(got, call, case):
    """The learner's combined step as two float arrays, or a verdict saying why it is not a pair."""
    lines = [f"case: {case}"]
    if got is None:
        raise CheckFailed("\n".join([*lines, f"{call} returned None: did you forget the `return`?"]))
    if isinstance(got, (tuple, list)) and len(got) == 2:
        try:
            return tuple(np.asarray(part, dtype=np.float64) for part in got)
        except (TypeError, ValueError):
            pass
        lines.append(f"{call} returned {short_repr(got, 160)}: a pair, but not of arrays of numbers.")
    elif isinstance(got, (tuple, list)):
        items = f"{len(got)} item{'' if len(got) == 1 else 's'}"
        lines.append(
            f"{call} returned a {type(got).__name__} of {items}. A step is a pair (a, b), and combine "
            "returns the two steps made into ONE step, a pair (A, B): keras.ops.associative_scan needs what combine "
            "returns to have the structure of what it was given, (a, b), and fails otherwise."
        )
    elif isinstance(got, np.ndarray) or np.ndim(got) > 0:
        shape = shape_str(np.shape(got))
        stacked = " (keras.ops.stack or np.array of the two?)" if np.shape(got)[:1] == (2,) else ""
        lines.append(
            f"{call} returned one array of shape {shape}{stacked}. Return the combined step as a pair of two, "
            "`return A, B`, like each argument: keras.ops.associative_scan needs the structure of (a, b) back."
        )
    else:
        lines.append(f"{call} returned {short_repr(got, 160)}; it should return a pair (A, B), like each argument.")
    raise CheckFailed("\n".join(lines))


def send(step, tensors):
    return tuple(as_tensor(v) if tensors else v.copy() for v in step)


def check_associative(learner):
    s1, s2, s3 = associativity_steps()
    case = "associativity: three steps s1, s2, s3 of shape (2, 3) (NumPy float64 arrays)"
    call = "combine(s1, s2)"
    s12 = as_pair(learner.call("combine", send(s1, False), send(s2, False), case=case), call, case)
    s23 = as_pair(learner.call("combine", send(s2, False), send(s3, False), case=case), "combine(s2, s3)", case)
    left = as_pair(learner.call("combine", s12, send(s3, False), case=case), "combine(combine(s1, s2), s3)", case)
    right = as_pair(learner.call("combine", send(s1, False), s23, case=case), "combine(s1, combine(s2, s3))", case)
    if all(l.shape == r.shape and np.allclose(l, r, atol=ATOL, rtol=RTOL) for l, r in zip(left, right)):
        return
    lines = [
        f"case: {case}",
        "Your combine is not associative: combine(combine(s1, s2), s3) and combine(s1, combine(s2, s3)) differ.",
        f"  combine(combine(s1, s2), s3): A[0] = {format_array(left[0][0])}, B[0] = {format_array(left[1][0])}",
        f"  combine(s1, combine(s2, s3)): A[0] = {format_array(right[0][0])}, B[0] = {format_array(right[1][0])}",
        "keras.ops.associative_scan groups the steps as it pleases (neighbours, then pairs of pairs), so with your "
        "combine its answer would depend on that grouping. Applying a step and then another, h -> a2 * (a1 * h + b1) "
        "+ b2, is associative: multiply it out into A * h + B.",
    ]
    named = Suspects(atol=ATOL, rtol=RTOL).named(s12, combine(s1, s2), mistaken(s1, s2))
    if named:
        lines.append(f"This is exactly what you get {next(iter(named))}.")
    raise CheckFailed("\n".join(lines))


def check(learner):
    suspects = Suspects(atol=ATOL, rtol=RTOL)  # a cause is named only when the evidence singles it out
    description, first, second, tensors = direct_cases()[0]  # the structure before anything else
    case = f"#1, {description}"
    call = "combine((a1, b1), (a2, b2))"
    as_pair(learner.call("combine", send(first, tensors), send(second, tensors), case=case), call, case)
    check_associative(learner)

    for number, (description, first, second, tensors) in enumerate(direct_cases()):
        case = f"#{number + 1}, {description}"
        call = f"combine((a1, b1), (a2, b2)) with {kind(first[0], tensors)} of shape {shape_str(first[0].shape)}"
        got = as_pair(learner.call("combine", send(first, tensors), send(second, tensors), case=case), call, case)
        expected = combine(*(tuple(np.asarray(v, dtype=np.float64) for v in step) for step in (first, second)))
        named = suspects.named(got, expected, mistaken(first, second))
        for index, part in enumerate("AB"):
            expect_close(
                got[index],
                expected[index],
                f"the {part} ({'first' if index == 0 else 'second'} item) of {call}",
                case=case,
                atol=ATOL,
                rtol=RTOL,
                mistakes={text: result[index] for text, result in named.items()},
            )

    for number, (description, a, b, h0, tensors) in enumerate(scan_cases()):
        case = f"scan #{number + 1}, {description}"
        batch, length, units = a.shape
        what = (
            f"h_t = A_t * h0 + B_t, with (A, B) = keras.ops.associative_scan(combine, (a, b), axis=1) and a, b "
            f"of shape ({batch}, {length}, {units})"
        )
        got = learner.probe(scan_probe, a, b, tensors, case=case)
        if isinstance(got, str):
            raise CheckFailed(f"case: {case}\nkeras.ops.associative_scan(combine, (a, b), axis=1) returned {got}")
        for name, part in zip("AB", got):
            if part.shape != a.shape:
                raise CheckFailed(
                    f"case: {case}\nkeras.ops.associative_scan(combine, (a, b), axis=1) gave {name} of shape "
                    f"{shape_str(part.shape)}; expected {shape_str(a.shape)}, the shape of a and b. Write combine "
                    "element-wise (*, +): the scan gives it whole slices of a and b."
                )
        h = got[0] * np.asarray(h0, dtype=np.float64)[:, None, :] + got[1]
        expected = loop(a, b, h0)
        mistakes = {}
        for text, mistake in MISTAKES.items():
            step = lambda first, second, m=mistake: m(*first, *second)  # noqa: E731
            prefix_a, prefix_b = prefix_steps(a, b, step)
            mistakes[text] = prefix_a * np.asarray(h0, dtype=np.float64)[:, None, :] + prefix_b
        expect_close(
            h,
            expected,
            what,
            case=case,
            atol=ATOL,
            rtol=RTOL,
            axes=SCAN_AXES,
            mistakes=suspects.named(h, expected, mistakes),
        )
    return (
        "combine is associative, gives (a1 * a2, a2 * b1 + b2) on arrays and tensors, and in "
        f"keras.ops.associative_scan its A_t * h0 + B_t equals a plain loop on {len(scan_cases())} windows (odd "
        "lengths, T = 1 and 2, a = 0, a = 1, one unit, h0 != 0)."
    )
