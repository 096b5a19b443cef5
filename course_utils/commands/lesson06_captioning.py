"""``python -m lessons.lesson06_captioning predict photo.jpg ...``: captions by a saved model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_utils import CourseError, cli, pretrained
from course_utils.inputs import read_json, text_inputs
from course_utils.runs import load_model, newest_model
from lessons.saved.lesson06_captioning import (
    LESSON,
    PRETRAINED_SIZE,
    SETTINGS_FILE,
    Captioner,
    Spec,
    Vocab,
    pretrained_features,
    read_image,
)

PREDICT_INPUT = "photos (JPEG, PNG, GIF or BMP)"
SETTINGS_KEYS = ("spec", "words", "image_size", "max_words", "imagenet_weights")  # what captioning.json holds
MAX_PATH_CHARS = 4096  # the longest path Linux accepts


def predict_flags(parser):
    parser.add_argument("--beam", type=cli.beam_width, default=3, help="beam width (default 3; 1 = greedy)")
    parser.add_argument(
        "--alpha", type=cli.length_penalty, default=0.0, help="beam length normalisation, 0 to 2 (default 0)"
    )


def load_captioner(model_path: str | None):
    path = Path(model_path) if model_path else newest_model(LESSON)
    model = load_model(path, LESSON)
    settings_path = path.parent / SETTINGS_FILE
    settings = read_json(settings_path, "the vocabulary and settings the model was trained with", SETTINGS_KEYS)
    try:
        spec = Spec(**{**settings["spec"], "visual_shape": tuple(settings["spec"]["visual_shape"])})
    except (TypeError, KeyError):
        raise CourseError(f"{settings_path} is damaged (its model settings are incomplete); train again") from None
    return Captioner(model, spec, Vocab(settings["words"]), settings["max_words"]), settings


def caption_files(paths, model_path: str | None, beam: int = 3, alpha: float = 0.0) -> list[str]:
    """Captions of the photos in ``paths`` by a saved model; every file is checked before any work."""
    captioner, settings = load_captioner(model_path)
    spec = captioner.spec
    size = settings["image_size"] if spec.encoder == "scratch" else PRETRAINED_SIZE
    images = np.stack([read_image(p, size) for p in paths])
    if spec.encoder == "pretrained":
        network = pretrained.imagenet_encoder(settings["imagenet_weights"], settings.get("imagenet_network"))
        images = pretrained_features(network, images, not spec.attention)
    return captioner.captions(images, beam=beam, alpha=alpha)


def predict(args):
    if not args.inputs:
        raise CourseError("give at least one photo, e.g. predict path/to/photo.jpg")
    paths = text_inputs(args.inputs, "a photo's path", MAX_PATH_CHARS)
    for path, caption in zip(paths, caption_files(paths, args.model, args.beam, args.alpha)):
        print(f"{path}: {caption}")
