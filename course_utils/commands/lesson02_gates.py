"""``python -m lessons.lesson02_gates predict "0.3:1,0.5:0,0.9:1"``: the trained model's sum for each sequence."""

from __future__ import annotations

import keras
import numpy as np

from course_utils import CourseError
from course_utils.inputs import shorten, text_inputs
from course_utils.runs import load_model, newest_model
from lessons.saved.lesson02_gates import LESSON, WithinTolerance  # noqa: F401  (the metric a saved model names)

PREDICT_INPUT = "a sequence of value:marker, e.g. 0.3:1,0.5:0,0.9:1"
MAX_SEQUENCE_CHARS = 20_000  # a few thousand steps


def parse_sequence(text):
    """'0.3:1,0.5:0,0.9:1' -> array of shape (steps, 2); exactly two steps must be marked."""
    steps = []
    for item in text.replace(" ", "").split(","):
        if not item:
            continue
        value, sep, marker = item.partition(":")
        try:
            value, marker = float(value), (float(marker) if sep else 0.0)
        except ValueError:
            raise CourseError(f"{shorten(item)} is not value:marker (e.g. 0.3:1 or 0.5)") from None
        if not 0.0 <= value <= 1.0 or marker not in (0.0, 1.0):
            raise CourseError(f"{shorten(item)}: the value must be in [0, 1] and the marker 0 or 1")
        steps.append((value, marker))
    if sum(m for _, m in steps) != 2:
        raise CourseError(f"{shorten(text)}: mark exactly two steps with :1, e.g. 0.3:1,0.5,0.9:1")
    return np.array(steps, dtype="float32")


def answer_lines(model, texts):
    """One line per sequence: the model's answer next to the true sum."""
    lines = []
    for text in texts:
        x = parse_sequence(text)
        answer = float(keras.ops.convert_to_numpy(model(x[None]))[0])
        truth = float((x[:, 0] * x[:, 1]).sum())
        shown = text if len(text) <= 40 else text[:37] + "..."
        lines.append(f"{shown} -> {answer:.3f}   (true sum of the marked values: {truth:.3f}, {len(x)} steps)")
    return lines


def predict(args):
    if not args.inputs:
        raise CourseError('give one or more sequences of value:marker, e.g.: predict "0.3:1,0.5,0.9:1"')
    texts = text_inputs(args.inputs, "a sequence", MAX_SEQUENCE_CHARS)
    for text in texts:
        parse_sequence(text)  # every input checked before the model is loaded
    model = load_model(args.model or newest_model(LESSON), LESSON)
    for line in answer_lines(model, texts):
        print(line)
