"""Flag types and the one-line argument parser every lesson's command line uses.

    python -m lessons.lessonNN_topic [--cell gru] [--epochs 5] [--quick] ...   trains
    python -m lessons.lessonNN_topic predict [--model PATH] INPUT ...          predicts

Bad flags or values print one line and exit with status 2 (``course_utils.lesson.main``
does the same for a ``CourseError`` raised anywhere in a lesson), so a learner never sees
a deep traceback for a mistake they can fix.
"""

from __future__ import annotations

import argparse
import math

from course_utils.inputs import CONTROL, shorten

CELLS = ("rnn", "lstm", "gru")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a single line: ``prog: error: message``."""

    def error(self, message: str):
        message = " ".join(message.split())  # one line, whatever the value echoed in it
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


MAX_MESSAGE = 300  # characters of an error message: a huge bad value is not echoed back whole


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {shorten(text)}") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {shorten(text)}") from None


def positive_int(text: str) -> int:
    value = _whole(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def int_between(low: int, high: int, why: str = ""):
    """A flag type for a whole number from ``low`` to ``high``; ``why`` explains the upper bound."""

    def convert(text: str) -> int:
        value = positive_int(text) if low == 1 else non_negative_int(text) if low == 0 else _whole(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"expected {low} or more, got {value}")
        if value > high:
            reason = f" ({why})" if why else ""
            raise argparse.ArgumentTypeError(f"expected at most {high:,}{reason}, got {value:,}")
        return value

    convert.__name__ = f"int_between_{low}_{high}"
    return convert


# Sizes: a model or a batch beyond these would not fit in a laptop's memory (or a GPU's), and
# would fail deep inside NumPy or TensorFlow instead of here, with one line.
layer_size = int_between(1, 4096, "a bigger layer would not fit in memory")  # units, hidden size, embedding size
layer_count = int_between(1, 8, "a deeper stack would not train in reasonable time")
batch_size = int_between(1, 4096, "a bigger batch would not fit in memory")
beam_width = int_between(1, 64, "a wider beam costs memory and time for no gain")
sequence_length = int_between(1, 10_000, "longer sequences would not fit in memory")


def fraction(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a value in [0, 1), got {value}")
    return value


def positive_float(text: str) -> float:
    value = _number(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {value}")
    return value


def non_negative_float(text: str) -> float:
    value = _number(text)
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"expected 0 or more, and finite, got {value}")
    return value


def learning_rate(text: str) -> float:
    """A step size above 0 and at most 10 (far past where training only diverges)."""
    value = positive_float(text)
    if value > 10:
        raise argparse.ArgumentTypeError(f"expected a learning rate of at most 10, got {value:g}")
    return value


def length_penalty(text: str) -> float:
    """Beam search's length normalisation exponent alpha, from 0 (none) to 2."""
    value = _number(text)
    if not 0 <= value <= 2:
        raise argparse.ArgumentTypeError(f"expected a value from 0 to 2, got {value}")
    return value


def short_text(max_chars: int):
    """A flag type for a piece of plain text of at most ``max_chars`` characters (a prime, a prompt)."""

    def convert(text: str) -> str:
        if len(text) > max_chars:
            raise argparse.ArgumentTypeError(f"expected at most {max_chars:,} characters, got {len(text):,}")
        bad = CONTROL.search(text)
        if bad:
            raise argparse.ArgumentTypeError(f"expected plain text, got a control character (U+{ord(bad.group()):04X})")
        return text

    convert.__name__ = f"short_text_{max_chars}"
    return convert


def seed(text: str) -> int:
    value = non_negative_int(text)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"expected a seed below 2**32 = 4294967296, got {value}")
    return value


def without_flag(argv: list[str], name: str) -> list[str]:
    """``argv`` without the flag ``name`` and its value (``--run-dir X`` or ``--run-dir=X``)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == name:
            skip = True
        elif not arg.startswith(name + "="):
            kept.append(arg)
    return kept
