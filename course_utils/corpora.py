"""Readers that turn a fetched dataset into plain Python lists the lessons can use."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from course_utils import CourseError, data


def load_imdb(split: str, limit: int | None = None, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Reviews, labels (1 = positive) and IMDb movie ids of the aclImdb ``train`` or ``test`` split, shuffled.

    The movie id (``tt0453418``) comes from the archive's ``urls_pos.txt`` / ``urls_neg.txt``,
    whose line *i* belongs to review file ``i_<rating>.txt``. ``limit`` keeps a class-balanced
    random subset (for quick runs).
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    root = data.extract("imdb") / "aclImdb" / split
    texts, labels, movies = [], [], []
    for label, folder in ((0, "neg"), (1, "pos")):
        files = sorted((root / folder).glob("*.txt"))
        urls_file = root / f"urls_{folder}.txt"
        if not files or not urls_file.is_file():
            raise CourseError(f"no reviews or no {urls_file.name} in {root}; the IMDB archive looks incomplete")
        urls = urls_file.read_text(encoding="utf-8").split()
        for path in files:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
            labels.append(label)
            movies.append(_imdb_movie_id(urls, path))
    order = np.random.default_rng(seed).permutation(len(texts))
    labels_arr = np.asarray(labels, dtype="int32")[order]
    movies_arr = np.asarray(movies)[order]
    texts = [texts[i] for i in order]
    if limit is not None and limit < len(texts):
        pos = np.flatnonzero(labels_arr == 1)[: limit // 2]
        neg = np.flatnonzero(labels_arr == 0)[: limit - limit // 2]
        keep = np.sort(np.concatenate([pos, neg]))
        texts, labels_arr, movies_arr = [texts[i] for i in keep], labels_arr[keep], movies_arr[keep]
    return texts, labels_arr, movies_arr


def _imdb_movie_id(urls: list[str], review: Path) -> str:
    try:
        return urls[int(review.name.split("_")[0])].split("/title/")[1].split("/")[0]
    except (ValueError, IndexError):
        raise CourseError(f"{review} has no matching line in its urls file; the IMDB archive looks corrupt") from None
