"""Readers that turn a fetched dataset into plain Python lists the lessons can use."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_utils import CourseError, data


def load_imdb(split: str, limit: int | None = None, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Reviews and labels (1 = positive) of the aclImdb ``train`` or ``test`` split, shuffled.

    ``limit`` keeps a class-balanced random subset (for quick runs).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = data.extract("imdb") / "aclImdb" / split
    texts, labels = [], []
    for label, folder in ((0, "neg"), (1, "pos")):
        files = sorted((root / folder).glob("*.txt"))
        if not files:
            raise CourseError(f"no reviews found in {root / folder}; the IMDB archive looks incomplete")
        for path in files:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
            labels.append(label)
    order = np.random.default_rng(seed).permutation(len(texts))
    labels_arr = np.asarray(labels, dtype="int32")[order]
    texts = [texts[i] for i in order]
    if limit is not None and limit < len(texts):
        pos = np.flatnonzero(labels_arr == 1)[: limit // 2]
        neg = np.flatnonzero(labels_arr == 0)[: limit - limit // 2]
        keep = np.sort(np.concatenate([pos, neg]))
        texts, labels_arr = [texts[i] for i in keep], labels_arr[keep]
    return texts, labels_arr


def read_lines(path: str | Path) -> list[str]:
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CourseError(f"file {path} does not exist") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path} is not UTF-8 text") from None
