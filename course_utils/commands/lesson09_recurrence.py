"""``python -m lessons.lesson09_recurrence predict``: continue a text with a model the lesson saved."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from course_utils import CourseError
from course_utils.commands.lesson07_char_lm import predict_flags  # noqa: F401  (the same sampling flags)
from course_utils.inputs import read_json, text_inputs
from course_utils.runs import load_model, newest_model
from lessons.saved.lesson07_char_lm import MAX_PRIME_CHARS
from lessons.saved.lesson09_recurrence import LESSON, MODELS, SETTINGS_FILE, generator_for

PREDICT_INPUT = "priming text; the model continues it (\\n = new line)"


def default_model() -> Path:
    """The newest run's minGRU, else its GRU, else its Transformer."""
    for name in ("mingru", "gru", "transformer"):
        try:
            return newest_model(LESSON, f"{name}.keras")
        except CourseError:
            continue
    return newest_model(LESSON, "mingru.keras")  # the one-line error: no model yet


def load_generator(path: Path):
    kind = path.stem
    if kind not in MODELS:
        raise CourseError(f"{path.name}: lesson 09 saves gru.keras, transformer.keras or mingru.keras")
    settings = read_json(path.parent / SETTINGS_FILE, "the vocabulary and sizes", keys=("vocab", "width", "layers"))
    model = load_model(path, LESSON)
    vocab = list(settings["vocab"])
    sizes = SimpleNamespace(width=settings["width"], layers=settings["layers"], dropout=settings.get("dropout", 0.0))
    return generator_for(kind, model, sizes, vocab)


def predict(args):
    if not args.inputs:
        raise CourseError('give one or more priming strings, e.g.: predict "ROMEO:" "To be"')
    primes = text_inputs(args.inputs, "a priming text", MAX_PRIME_CHARS)  # checked before the model loads
    generator = load_generator(Path(args.model) if args.model else default_model())
    for i, prime in enumerate(primes):
        prime = prime.replace("\\n", "\n")
        text = generator.generate(
            prime, args.length, temperature=args.temperature, top_k=args.top_k, seed=args.seed + i
        )
        print(f"{prime}{text}\n")
