"""``python -m lessons.lesson01_rnn_from_scratch predict em jo``: complete the beginnings of names."""

from __future__ import annotations

from pathlib import Path

from course_utils import CourseError
from course_utils.inputs import read_text_file, shorten, text_inputs
from course_utils.runs import load_model, newest_model
from lessons.saved.lesson01_rnn_from_scratch import BOUNDARY, LESSON, print_completions

PREDICT_INPUT = "the beginning of a name, e.g. 'em'"
MAX_PREFIX_CHARS = 50  # longer than any name


def predict(args):
    """Load a saved model (the newest run's, or --model) and its vocab.txt; complete each name beginning."""
    if not args.inputs:
        raise CourseError("give one or more name beginnings, e.g.: predict em jo")
    prefixes = text_inputs(args.inputs, "a name beginning", MAX_PREFIX_CHARS)  # checked before the model loads
    path = args.model or newest_model(LESSON)
    model = load_model(path, LESSON)
    vocab_file = Path(path).parent / "vocab.txt"
    if not vocab_file.is_file():
        raise CourseError(f"{vocab_file} is missing; it is written next to the model by training")
    vocab = list(read_text_file(vocab_file, "the character list").rstrip("\n"))
    if len(vocab) != model.output_shape[-1] or vocab[:1] != [BOUNDARY]:
        raise CourseError(
            f"{vocab_file} is not this model's character list ({len(vocab)} characters starting "
            f"{shorten(''.join(vocab[:5]))}; the model predicts {model.output_shape[-1]}): train again to write it"
        )
    print_completions(model, vocab, prefixes)
