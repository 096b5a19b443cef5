"""``python -m lessons.lesson05_translation predict``: translate English sentences with a saved model."""

from __future__ import annotations

from pathlib import Path

from course_utils import CourseError, cli
from course_utils.inputs import read_json, text_inputs
from course_utils.runs import load_model, newest_model
from lessons.saved.lesson05_translation import LESSON, SETTINGS_FILE, Translator, Vocab, normalise

PREDICT_INPUT = "English sentences"
MAX_SENTENCE_CHARS = 1000  # the model learned from sentences of a few words


def predict_flags(parser):
    parser.add_argument("--beam", type=cli.beam_width, default=1, help="beam width (default 1: greedy)")
    parser.add_argument(
        "--alpha", type=cli.length_penalty, default=0.6, help="beam length normalisation, 0 to 2 (default 0.6)"
    )


def load_translator(model_path: str | None) -> Translator:
    """The saved model (default: the newest run's) with the vocabularies saved beside it."""
    path = Path(model_path) if model_path else newest_model(LESSON)
    what = "the vocabularies the model was trained with"
    settings = read_json(path.parent / SETTINGS_FILE, what, keys=("source_words", "target_words"))
    model = load_model(path, LESSON)
    return Translator(model, Vocab(settings["source_words"], settings["target_words"]))


def predict(args):
    if not args.inputs:
        raise CourseError('give at least one English sentence, e.g. predict "I am cold."')
    sentences = text_inputs(args.inputs, "an English sentence", MAX_SENTENCE_CHARS)
    blank = [i + 1 for i, sentence in enumerate(sentences) if not normalise(sentence)]
    if blank:
        raise CourseError(f"sentence {blank[0]} is empty; give English text to translate")
    translator = load_translator(args.model)
    for sentence, french in zip(sentences, translator.translate(sentences, beam=args.beam, alpha=args.alpha)):
        print(f"{sentence}  ->  {french}")
