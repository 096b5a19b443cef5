"""What the checks are written with: a verdict type and comparisons that explain themselves.

A check is a function ``check(learner) -> str`` in ``exercises/checks/<name>.py``. It calls the
learner's code through ``learner.call`` (so an error is reported at the learner's own line),
compares with ``expect_close`` / ``expect_equal``, raises ``CheckFailed`` with a message that says
what was expected and what came out, and returns a one-line summary of what it verified.

The learner's code runs in a process of its own (exercises/sandbox.py): ``learner.call`` sends the
arguments there and gets the result back as data (numbers, strings, lists, arrays; see exercises/wire.py),
so a check computes its references and decides where the learner's code cannot reach. What cannot travel
as data (a Keras model the learner builds) is examined there by one of the check's ``SANDBOX_PROBES``
(``learner.probe``), which sends back numbers for the check to judge. ``Learner`` below is the same
interface in one process: the learner's process uses it, and so do the tests.
"""

from __future__ import annotations

import copy
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import numpy as np

from exercises.learner_file import exception_text, load_module
from exercises.wire import as_tensor  # noqa: F401  (for the checks: an argument that arrives as a Keras tensor)


class CheckFailed(Exception):
    """The learner's code ran but gave a wrong answer; the message explains the difference."""


class Learner:
    """The learner's module, loaded from its file, and the case being checked right now."""

    def __init__(self, module: ModuleType, path: Path):
        self.module = module
        self.path = Path(path)
        self.case = ""  # shown with an error raised inside the learner's code

    def function(self, name: str) -> Callable:
        fn = getattr(self.module, name, None)
        if not callable(fn):
            raise CheckFailed(
                f"{self.path.name} has no function named `{name}`; the check calls it by that name "
                "(did you rename or delete it?)"
            )
        return fn

    def call(self, name: str, *args, case: str = "", mutable: Sequence[str] = (), **kwargs):
        """Call the learner's function ``name``; ``case`` describes the inputs for error messages.

        Every argument that holds data (NumPy arrays, lists, tuples, dicts, sets, nested) is copied
        before the call and compared after it: a function that changed one in place fails, with a
        message naming the argument. ``mutable`` names parameters the function may change (also
        ``MAY_CHANGE_IN_PLACE``); objects that are not data (an rng, a model, a function) are never
        compared.
        """
        self.case = f"{name}, case: {case}" if case else name
        fn = self.function(name)
        named = argument_names(fn, args, kwargs)
        allowed = set(mutable) | set(MAY_CHANGE_IN_PLACE.get(name, ()))
        before = [(param, value, snapshot(value)) for param, value in named if param not in allowed]
        result = fn(*args, **kwargs)
        for param, value, saved in before:
            change = first_change(saved, value, param)
            if change is not None:
                raise CheckFailed(in_place_message(name, param, change, case))
        return result

    def call_fresh(self, name: str, *args, case: str = "", **kwargs):
        """``call`` on a freshly loaded copy of the learner's file: what a first call gives, whatever earlier
        calls left behind (in a default argument or a global)."""
        module, self.module = self.module, load_module(self.path)
        try:
            return self.call(name, *args, case=case, **kwargs)
        finally:
            self.module = module

    def repeat(self, name: str, *args, times: int, case: str = "", mutable: Sequence[str] = (), **kwargs) -> list:
        """``call`` ``times`` times with the same argument objects (a random generator goes on drawing)."""
        return [self.call(name, *args, case=case, mutable=mutable, **kwargs) for _ in range(times)]

    def probe(self, function: Callable, *args, case: str = ""):
        """``function(self, *args)``: in the checker, the learner's process runs it (exercises/sandbox.py)."""
        if case:
            self.case = case
        return function(self, *args)


# Arguments a learner's function may change in place, by function name. Empty: every exercise's
# inputs belong to the caller, who still needs them after the call.
MAY_CHANGE_IN_PLACE: dict[str, tuple[str, ...]] = {}


class _NotData:
    """Marks an argument the in-place guard leaves alone (an rng, a model, a function...)."""

    def __repr__(self):
        return "<not data>"


NOT_DATA = _NotData()
IMMUTABLE = (str, bytes, int, float, complex, bool, type(None), np.generic)


def argument_names(fn: Callable | inspect.Signature | None, args, kwargs: dict) -> list[tuple[str, object]]:
    """``(parameter name, value)`` for every argument of a call (positions when the signature will not bind).
    ``fn`` is the function, or its signature (the learner's process sends it: exercises/sandbox.py)."""
    try:
        signature = fn if isinstance(fn, inspect.Signature) else inspect.signature(fn)
        return list(signature.bind(*args, **kwargs).arguments.items())
    except (TypeError, ValueError):
        return [(f"argument {i + 1}", value) for i, value in enumerate(args)] + list(kwargs.items())


def snapshot(value):
    """A deep copy of the data in ``value``, or ``NOT_DATA`` for objects the guard does not compare."""
    if isinstance(value, np.ndarray):
        return copy.deepcopy(value) if value.dtype == object else value.copy()
    if isinstance(value, IMMUTABLE):
        return value
    if isinstance(value, list):
        return [snapshot(v) for v in value]
    if isinstance(value, tuple):
        return tuple(snapshot(v) for v in value)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, (set, bytearray)):
        return copy.copy(value)
    return NOT_DATA


def kind_of(value) -> str:
    if isinstance(value, np.ndarray):
        return "array"
    return {list: "list", tuple: "tuple", dict: "dict", set: "set"}.get(type(value), type(value).__name__)


def first_change(before, after, label: str) -> tuple[str, str, str] | None:
    """``(label, kind, what changed)`` for the first place where ``after`` differs from the snapshot ``before``."""
    if before is NOT_DATA:
        return None
    if isinstance(before, np.ndarray):
        return array_change(before, after, label)
    if isinstance(before, IMMUTABLE):
        return (
            None
            if same_scalar(before, after)
            else (label, kind_of(before), f"it was {short_repr(before, 60)}, now {short_repr(after, 60)}")
        )
    kind = kind_of(before)
    if isinstance(before, (list, tuple)):
        if not isinstance(after, (list, tuple)) or len(after) != len(before):
            size = len(after) if isinstance(after, (list, tuple)) else short_repr(after, 60)
            return label, kind, f"it had {len(before)} items and now has {size}"
        for i, (was, now) in enumerate(zip(before, after)):
            change = first_change(was, now, f"{label}[{i}]")
            if change is not None:
                if isinstance(was, IMMUTABLE):  # an item replaced: the list itself changed
                    return label, kind, f"item {i} was {short_repr(was, 60)} and is now {short_repr(now, 60)}"
                return change
        return None
    if isinstance(before, dict):
        if not isinstance(after, dict) or list(after) != list(before):
            return label, kind, f"its keys were {short_repr(list(before), 80)}, now {short_repr(list(after), 80)}"
        for key, was in before.items():
            change = first_change(was, after[key], f"{label}[{key!r}]")
            if change is not None:
                if isinstance(was, IMMUTABLE):
                    return label, kind, f"[{key!r}] was {short_repr(was, 60)} and is now {short_repr(after[key], 60)}"
                return change
        return None
    if before != after:
        return label, kind, f"it was {short_repr(before, 80)}, now {short_repr(after, 80)}"
    return None


def same_scalar(before, after) -> bool:
    if before is after:
        return True
    try:
        equal = before == after
    except Exception:  # noqa: BLE001
        return False
    return equal if isinstance(equal, bool) else bool(equal) if isinstance(equal, np.bool_) else False


def array_change(before: np.ndarray, after, label: str) -> tuple[str, str, str] | None:
    if not isinstance(after, np.ndarray):
        return label, "array", f"it was replaced by a {type(after).__name__}"
    if after.shape != before.shape:
        return label, "array", f"its shape changed from {shape_str(before.shape)} to {shape_str(after.shape)}"
    try:
        differ = np.asarray(before != after)
        if before.dtype.kind in "fc" and after.dtype.kind in "fc":
            differ &= ~(np.isnan(before) & np.isnan(after))
    except Exception:  # noqa: BLE001
        return None if np.array_equal(before, after) else (label, "array", "its values changed")
    if not differ.any():
        return None
    if before.ndim == 0:
        return label, "array", f"it was {value_str(before)}, now {value_str(after)}"
    first = tuple(np.argwhere(differ)[0])
    return (
        label,
        "array",
        (
            f"{int(differ.sum())} of {differ.size} elements changed; element {index_str(first)} was "
            f"{value_str(before[first])} and is now {value_str(after[first])}"
        ),
    )


def in_place_message(function: str, param: str, change: tuple[str, str, str], case: str) -> str:
    label, kind, detail = change
    lines = [f"case: {case}"] if case else []
    if label == param:
        lines.append(f"{function} changed the {param} {kind} it was given (argument `{param}`) in place: {detail}.")
    else:
        lines.append(
            f"{function} changed the {kind} {label} it was given (inside argument `{param}`) in place: {detail}."
        )
    if kind == "array":
        x = param if label == param and param.isidentifier() else "x"
        lines.append(
            f"Compute a new array instead (`{x} = {x} * ...`, not `{x} *= ...`; set elements only in your own "
            f"copy, `{x}.copy()`): the caller still needs its array as it was."
        )
    else:
        lines.append(f"Build a new {kind} instead ({copy_advice(kind, label)}): the caller still needs it as it was.")
    return "\n".join(lines)


def copy_advice(kind: str, label: str) -> str:
    """How to leave the caller's ``kind`` ``label`` (an argument, or an item inside one) alone, in its own name."""
    name = label if re.fullmatch(r"[A-Za-z_]\w*(\[[^\[\]]+\])*", label) else "..."
    maker = {"list": "list", "dict": "dict", "set": "set"}.get(kind, "copy.deepcopy")
    inner = f"a copy of each inner {kind} you change, " if "[" in name else ""
    if kind == "list":
        return (
            f"e.g. {inner}`list({name})`, before changing items; `+` rather than `.append` or `.insert` on the "
            "caller's list"
        )
    return f"e.g. {inner}`{maker}({name})`, before changing it"


def shape_str(shape) -> str:
    return "()" if shape == () else str(tuple(int(s) for s in shape))


def as_array(got, what: str) -> np.ndarray:
    """The learner's result as a float array, or a verdict saying why it is not one."""
    if got is None:
        raise CheckFailed(f"{what} returned None: did you forget the `return`?")
    try:
        array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        kind = type(got).__name__
        raise CheckFailed(f"{what} returned a {kind}, not an array of numbers: {short_repr(got)}") from None
    return array


def short_repr(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


def format_array(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), precision=4, suppress_small=True, max_line_width=100, threshold=24)


def index_str(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def matching_mistake(got: np.ndarray, mistakes: Mapping[str, object] | None, atol: float, rtol: float) -> str | None:
    """The description of the first known mistake whose result equals ``got``, if any."""
    for description, result in (mistakes or {}).items():
        if result is None:  # that mistake cannot happen with these inputs (it would raise)
            continue
        result = np.asarray(result, dtype=np.float64)
        if result.shape == got.shape and np.allclose(got, result, atol=atol, rtol=rtol, equal_nan=True):
            return description
    return None


def same_result(got, result, *, atol: float | None = 1e-6, rtol: float = 1e-5) -> bool:
    """Whether two results agree: as float arrays within ``atol``/``rtol``, or exactly (``==``, lists and tuples
    alike) when ``atol`` is None."""
    if atol is None:
        if isinstance(got, (list, tuple)) and isinstance(result, (list, tuple)):
            got, result = list(got), list(result)
        try:
            return bool(got == result)
        except (TypeError, ValueError):
            return False
    try:
        a, b = np.asarray(got, dtype=np.float64), np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True))


class Suspects:
    """The named mistakes a check may still show, across its cases: a cause must be certain before it is shown.

    Call ``named(got, expected, mistakes)`` for every case, in order, and pass what it returns as the
    ``mistakes=`` of ``expect_close`` / ``expect_equal``. A mistake is dropped for good as soon as a case the
    learner got right rules it out (that mistake would have given another answer there); a wrong answer is
    named only when exactly one remaining mistake gives it. ``atol=None`` compares exactly (lists, strings).
    """

    def __init__(self, *, atol: float | None = 1e-6, rtol: float = 1e-5):
        self.atol, self.rtol = atol, rtol
        self.ruled_out: set[str] = set()

    def same(self, a, b) -> bool:
        return same_result(a, b, atol=self.atol, rtol=self.rtol)

    def named(self, got, expected, mistakes: Mapping[str, object] | None) -> dict[str, object]:
        """``{description: result}`` for the one mistake the evidence singles out, or ``{}``."""
        mistakes = {d: r for d, r in (mistakes or {}).items() if r is not None}
        if self.same(got, expected):
            self.ruled_out.update(d for d, r in mistakes.items() if not self.same(r, expected))
            return {}
        fits = {d: r for d, r in mistakes.items() if d not in self.ruled_out and self.same(got, r)}
        return fits if len(fits) == 1 else {}


def attempt(description: str, compute: Callable[[], object]):
    """``compute()``; if it raises, a verdict saying what was being done (e.g. calling the learner's model)."""
    try:
        return compute()
    except CheckFailed:
        raise
    except Exception as err:  # noqa: BLE001
        raise CheckFailed(f"{description} raised {exception_text(err)}") from None


def maybe(compute: Callable, *args):
    """``compute(*args)``, or None when it raises: for mistakes that only some inputs allow."""
    try:
        return compute(*args)
    except Exception:  # noqa: BLE001
        return None


def expect_close(
    got,
    expected,
    what: str,
    *,
    case: str = "",
    atol: float = 1e-6,
    rtol: float = 1e-5,
    mistakes: Mapping[str, object] | None = None,
    axes: Sequence[str] | str | None = None,
) -> np.ndarray:
    """Raise ``CheckFailed`` unless ``got`` has ``expected``'s shape and (nearly) its values.

    ``mistakes`` maps a description ("without the bias b_h") to what that mistake produces; when the
    learner's result equals one of them, the verdict names the likely cause. ``axes`` names the axes
    in the learner's terms (``("sentence", "time step")``): a wrong value is then located by them, and
    the verdict says which entries along the first axis differ.
    """
    got = as_array(got, what)
    expected = np.asarray(expected, dtype=np.float64)
    lines = [f"case: {case}"] if case else []
    cause = matching_mistake(got, mistakes, atol, rtol)
    if got.shape != expected.shape:
        lines.append(f"{what} has the wrong shape: expected {shape_str(expected.shape)}, got {shape_str(got.shape)}.")
        if cause:
            lines.append(f"That is the shape you get {cause}.")
        raise CheckFailed("\n".join(lines))
    wrong = ~np.isclose(got, expected, atol=atol, rtol=rtol)
    if not wrong.any():
        return got
    if expected.ndim == 0:
        lines.append(f"{what} is wrong: expected {float(expected):.6g}, got {float(got):.6g}.")
    else:
        first = tuple(np.argwhere(wrong)[0])
        largest = (
            f" (largest difference {np.max(np.where(wrong, np.abs(got - expected), 0.0)):.3g})"
            if np.isfinite(got).all()
            else ""
        )
        lines.append(
            f"{what} has the right shape {shape_str(got.shape)} but wrong values: "
            f"{int(wrong.sum())} of {wrong.size} elements differ{largest}."
        )
        lines.append(
            f"first difference at index {index_str(first)}{named_index(first, axes)}: "
            f"expected {expected[first]:.6g}, got {got[first]:.6g}"
        )
        if axes and expected.ndim > 1:
            lines.append(differing_entries(wrong.reshape(wrong.shape[0], -1).any(axis=1), axes))
        if expected.size <= 24:
            lines.append(f"expected: {format_array(expected)}")
            lines.append(f"got:      {format_array(got)}")
    if not np.isfinite(got).all():
        lines.append(
            "Your result contains NaN or infinity: did something overflow (exp of a large number?) or divide by zero?"
        )
    if cause:
        lines.append(f"This is exactly what you get {cause}.")
    raise CheckFailed("\n".join(lines))


def expect_equal(
    got,
    expected,
    what: str,
    *,
    case: str = "",
    mistakes: Mapping[str, object] | None = None,
    axes: Sequence[str] | str | None = None,
    again: Callable[[], object] | None = None,
):
    """Raise ``CheckFailed`` unless ``got == expected`` (lists are compared item by item).

    ``axes`` names the list's levels in the learner's terms (``("sentence", "tag")``): the first
    difference is then located by them, and the verdict says which items of the outer list differ.
    ``again`` calls the learner's function once more with the same arguments, in a freshly loaded copy of its
    file (``Learner.call_fresh``): when a wrong answer comes out differently there, the verdict says that the
    function keeps state between calls.
    """
    if got is None and expected is not None:
        raise CheckFailed(f"{what} returned None: did you forget the `return`?")
    normalised = list(got) if isinstance(got, (list, tuple)) and isinstance(expected, list) else got
    if normalised == expected:
        return got
    lines = [f"case: {case}"] if case else []
    lines.append(f"{what} is wrong.")
    lines.append(f"expected: {short_repr(expected, 400)}")
    lines.append(f"got:      {short_repr(got, 400)}")
    if isinstance(expected, list) and isinstance(normalised, list):
        for i, (want, have) in enumerate(zip(expected, normalised)):
            if want != have:
                where, want, have = inner_difference(i, want, have, axes)
                lines.append(f"first difference at position {i}{where}: expected {want!r}, got {have!r}")
                if axes and len(expected) == len(normalised) and len(expected) > 1:
                    lines.append(
                        differing_entries(np.array([differ(w, h) for w, h in zip(expected, normalised)]), axes)
                    )
                break
        else:
            lines.append(
                f"the first {min(len(expected), len(normalised))} items agree, but {len(expected)} were "
                f"expected and {len(normalised)} came out"
            )
    for description, result in (mistakes or {}).items():
        if result == normalised:
            lines.append(f"This is exactly what you get {description}.")
            break
    state = carried_state(got, again)
    if state:
        lines.append(state)
    raise CheckFailed("\n".join(lines))


def carried_state(got, again: Callable[[], object] | None) -> str | None:
    """A verdict line when calling the learner's function again in a fresh copy of its file (``again()``) with
    the same arguments gives another result than ``got``: the function keeps something from one call to the next."""
    if again is None:
        return None
    try:
        second = again()
    except CheckFailed:
        raise
    except Exception:  # noqa: BLE001  (the first call's answer is what the verdict is about)
        return None
    if same_answer(second, got):
        return None
    return (
        f"A freshly loaded copy of your file, given the same arguments, answers {short_repr(second, 100)}: your "
        "function keeps something from one call to the next (a list or dict given as a default argument, "
        "`def f(x, found=[])`, or a global), so what earlier calls found leaks into later answers. Make it new "
        "inside the function, on every call."
    )


def axis_names(axes: Sequence[str] | str | None) -> tuple[str, ...]:
    return (axes,) if isinstance(axes, str) else tuple(axes or ())


def named_index(index, axes: Sequence[str] | str | None) -> str:
    """`` (sentence 1, time step 4)`` for index (1, 4) and those axes; empty without axes."""
    names = axis_names(axes)
    if not names:
        return ""
    return " (" + ", ".join(f"{name} {int(i)}" for name, i in zip(names, index)) + ")"


def differing_entries(differs: np.ndarray, axes: Sequence[str] | str | None) -> str:
    """Which entries along the first named axis hold a difference, e.g. ``wrong in sentence 0, 2 (2 of 3)``."""
    name = axis_names(axes)[0]
    where = [int(i) for i in np.flatnonzero(differs)]
    shown = ", ".join(str(i) for i in where[:12]) + (", ..." if len(where) > 12 else "")
    return f"wrong in {name} {shown} ({len(where)} of {differs.size}); the others are right"


def inner_difference(i: int, want, have, axes: Sequence[str] | str | None):
    """Where in item ``i`` two nested lists first differ, in the axes' names (``(sentence 1, tag 3)``)."""
    names = axis_names(axes)
    if not names:
        return "", want, have
    index = [i]
    while (
        len(index) < len(names)
        and isinstance(want, (list, tuple))
        and isinstance(have, (list, tuple))
        and len(want) == len(have)
    ):
        j = next((j for j, (w, h) in enumerate(zip(want, have)) if differ(w, h)), None)
        if j is None:
            break
        index.append(j)
        want, have = want[j], have[j]
    return named_index(index, names), want, have


def same_answer(a, b) -> bool:
    """Whether two answers of the learner's function are the same (lists and tuples alike; arrays by value)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            return bool(np.array_equal(np.asarray(a), np.asarray(b)))
        except (TypeError, ValueError):
            return False
    a, b = (list(v) if isinstance(v, tuple) else v for v in (a, b))
    return not differ(a, b)


def differ(want, have) -> bool:
    try:
        return bool(want != have)
    except (TypeError, ValueError):  # e.g. arrays of several elements
        return True


def value_str(value) -> str:
    """An element for a message: numbers to 6 significant digits, anything else as its repr."""
    value = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
    if isinstance(value, float):
        return f"{value:.6g}"
    return short_repr(value, 60)
