"""What the checks are written with: a verdict type and comparisons that explain themselves.

A check is a function ``check(learner) -> str`` in ``exercises/checks/<name>.py``. It calls the
learner's code through ``learner.call`` (so an error is reported at the learner's own line),
compares with ``expect_close`` / ``expect_equal``, raises ``CheckFailed`` with a message that says
what was expected and what came out, and returns a one-line summary of what it verified.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

import numpy as np


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

    def call(self, name: str, *args, case: str = "", **kwargs):
        """Call the learner's function ``name``; ``case`` describes the inputs for error messages."""
        self.case = f"{name}, case: {case}" if case else name
        return self.function(name)(*args, **kwargs)


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


def attempt(description: str, compute: Callable[[], object]):
    """``compute()``; if it raises, a verdict saying what was being done (e.g. calling the learner's model)."""
    try:
        return compute()
    except CheckFailed:
        raise
    except Exception as err:  # noqa: BLE001
        from exercises.runner import exception_text

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
) -> np.ndarray:
    """Raise ``CheckFailed`` unless ``got`` has ``expected``'s shape and (nearly) its values.

    ``mistakes`` maps a description ("without the bias b_h") to what that mistake produces; when the
    learner's result equals one of them, the verdict names the likely cause.
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
            f"first difference at index {index_str(first)}: expected {expected[first]:.6g}, got {got[first]:.6g}"
        )
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


def expect_equal(got, expected, what: str, *, case: str = "", mistakes: Mapping[str, object] | None = None):
    """Raise ``CheckFailed`` unless ``got == expected`` (lists are compared item by item)."""
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
                lines.append(f"first difference at position {i}: expected {want!r}, got {have!r}")
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
    raise CheckFailed("\n".join(lines))
