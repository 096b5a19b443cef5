"""The command line every lesson shares.

    python -m lessons.lessonNN_topic [--cell gru] [--epochs 5] [--quick] ...   trains
    python -m lessons.lessonNN_topic predict [--model PATH] INPUT ...          predicts

Bad flags or values print one line and exit with status 2; a ``CourseError`` raised
anywhere in a lesson does the same, so a learner never sees a deep traceback for a
mistake they can fix.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from course_utils import CourseError

CELLS = ("rnn", "lstm", "gru")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a single line: ``prog: error: message``."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a value in [0, 1), got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {value}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more, got {value}")
    return value


def train_parser(
    lesson: str,
    description: str,
    *,
    epochs: int,
    batch_size: int,
    cell: str | None = "gru",
    seed: int = 1337,
) -> OneLineParser:
    """The common training flags; a lesson adds its own with ``parser.add_argument``."""
    parser = OneLineParser(
        prog=f"python -m lessons.{lesson}",
        description=description,
        epilog=f"To predict with a trained model: python -m lessons.{lesson} predict --help",
    )
    if cell is not None:
        parser.add_argument("--cell", choices=CELLS, default=cell, help=f"recurrent cell (default {cell})")
    parser.add_argument("--epochs", type=positive_int, default=epochs, help=f"training epochs (default {epochs})")
    parser.add_argument(
        "--batch-size", type=positive_int, default=batch_size, help=f"batch size (default {batch_size})"
    )
    parser.add_argument("--seed", type=non_negative_int, default=seed, help=f"random seed (default {seed})")
    parser.add_argument(
        "--quick", action="store_true", help="a seeded run on a small real slice of the data (seconds)"
    )
    parser.add_argument(
        "--run-dir",
        default=None,
        help="run folder to use; give an interrupted run's folder to resume it (default: a new folder under runs/)",
    )
    return parser


def predict_parser(lesson: str, what: str) -> OneLineParser:
    parser = OneLineParser(
        prog=f"python -m lessons.{lesson} predict",
        description=f"Load a trained model and print its prediction for each input ({what}).",
    )
    parser.add_argument("--model", default=None, help="a .keras file (default: the newest run's model)")
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help=what)
    return parser


def run_cli(
    argv: Sequence[str] | None,
    *,
    train: Callable[[argparse.Namespace], object],
    parser: OneLineParser,
    predict: Callable[[argparse.Namespace], object] | None = None,
    predict_args: OneLineParser | None = None,
    commands: dict[str, tuple[OneLineParser, Callable[[argparse.Namespace], object]]] | None = None,
) -> int:
    """Parse ``argv`` and run the lesson's ``train``, ``predict`` or another named command.

    ``commands`` maps extra sub-command names (e.g. ``compare``) to their parser and function.
    Returns the exit status.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = dict(commands or {})
    if predict is not None and predict_args is not None:
        commands["predict"] = (predict_args, predict)
    try:
        if argv and argv[0] in commands:
            sub_parser, function = commands[argv[0]]
            function(sub_parser.parse_args(argv[1:]))
        elif argv and argv[0] == "predict":
            parser.error("this lesson has no predict command")
        else:
            train(parser.parse_args(argv))
    except CourseError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\n{parser.prog}: interrupted. Run again with --run-dir <the run folder printed above> to resume.",
            file=sys.stderr,
        )
        return 130
    return 0


def main(run: Callable[[Sequence[str] | None], int]) -> None:
    sys.exit(run(None))
