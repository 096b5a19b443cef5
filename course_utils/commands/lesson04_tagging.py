"""``python -m lessons.lesson04_tagging predict``: tag sentences with a trained tagger."""

from __future__ import annotations

from pathlib import Path

from course_utils import CourseError
from course_utils.inputs import text_inputs
from course_utils.runs import newest_model
from lessons.saved.lesson04_tagging import LESSON, load_tagger, tag_texts

PREDICT_INPUT = "a sentence in quotes"
MAX_SENTENCE_CHARS = 2000  # about 400 words; a longer "sentence" is a whole text: split it


def predict(args):
    if not args.inputs:
        raise CourseError('give one or more sentences, e.g.: predict "The quick brown fox jumped."')
    texts = text_inputs(args.inputs, "a sentence", MAX_SENTENCE_CHARS)  # checked before the model loads
    model, encoder = load_tagger(Path(args.model or newest_model(LESSON)))
    for line in tag_texts(model, encoder, texts):
        print(line)
