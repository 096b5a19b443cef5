"""The same datasets through tensorflow-datasets (``--source tfds``), offline, from the course's data root.

``tfds.load("tiny_shakespeare")`` is how most tutorials get their data: one call, a tf.data
pipeline back. Here it never touches the network: the file is first found (or downloaded, with
its sha256 checked) by ``course_utils.data`` like every other dataset, then handed to tfds as
its ``manual_dir``, or to a small subclass of tfds' own builder that reads the local archive.
Without the file it stops at once with the course's one-line message (tfds on its own retries a
download for minutes before failing).

What the course's own loaders add, and tfds does not give: the sha256 of the official file, and
for IMDB the movie each review belongs to (tfds keeps text and label only), which the course uses
to hold out whole movies for validation.
"""

from __future__ import annotations

import os
from pathlib import Path

import course_utils  # noqa: F401  (quiet logs before tensorflow)
from course_utils import CourseError, data


def _tfds():
    try:
        os.environ.setdefault("TFDS_DISABLE_GCS", "1")  # never ask Google Cloud Storage for a prepared copy
        import tensorflow_datasets as tfds
    except ImportError:
        raise CourseError(
            "tensorflow-datasets is not installed in this environment; run make venv (it is in requirements.txt)"
        ) from None
    tfds.disable_progress_bar()
    return tfds


def tfds_dir() -> Path:
    """Where tfds writes its prepared copies (inside the course's cache, never ~/tensorflow_datasets)."""
    return data.cache_root() / "tfds"


def _load(tfds, name_or_builder, split, manual_dir: Path | None = None):
    config = tfds.download.DownloadConfig(manual_dir=str(manual_dir) if manual_dir else None)
    if isinstance(name_or_builder, str):
        return tfds.load(
            name_or_builder,
            split=split,
            data_dir=str(tfds_dir()),
            try_gcs=False,
            download_and_prepare_kwargs={"download_config": config},
        )
    name_or_builder.download_and_prepare(download_config=config)
    return name_or_builder.as_dataset(split=split)


def tiny_shakespeare() -> str:
    """The whole of tiny Shakespeare as ``tfds.load("tiny_shakespeare")`` gives it (its train, validation
    and test splits are consecutive slices of the one file: joined, they are the file)."""
    tfds = _tfds()
    local = data.fetch("tinyshakespeare")  # the course's file: found in the data root, sha256 checked
    parts = _load(tfds, "tiny_shakespeare", ["train", "validation", "test"], manual_dir=local.parent)
    return "".join(example["text"].numpy().decode("utf-8") for part in parts for example in part)


def imdb_reviews(split: str) -> tuple[list[str], list[int]]:
    """IMDB's ``train`` or ``test`` reviews and labels (1 = positive), read by tfds' imdb_reviews builder
    from the course's local archive."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    tfds = _tfds()
    archive = data.fetch("imdb")
    builder = _local_imdb_builder(tfds, archive)
    texts, labels = [], []
    for example in (
        builder.as_dataset(split=split).as_numpy_iterator() if _prepared(builder) else _prepare(builder, split)
    ):
        texts.append(example["text"].decode("utf-8"))
        labels.append(int(example["label"]))
    return texts, labels


def _prepared(builder) -> bool:
    return builder.info.splits.total_num_examples > 0 and Path(builder.data_dir).is_dir()


def _prepare(builder, split):
    builder.download_and_prepare()
    return builder.as_dataset(split=split).as_numpy_iterator()


def _local_imdb_builder(tfds, archive: Path):
    """tfds' own IMDB builder, reading ``archive`` instead of downloading (and without the 50,000 unlabeled
    reviews the lessons do not use)."""
    from tensorflow_datasets.datasets.imdb_reviews import imdb_reviews_dataset_builder as imdb

    class ImdbReviewsLocal(imdb.Builder, skip_registration=True):  # a new class at every call: not registered
        name = "imdb_reviews_local"

        def _split_generators(self, dl_manager):
            return [
                tfds.core.SplitGenerator(
                    name=split,
                    gen_kwargs={"archive": dl_manager.iter_archive(archive), "directory": f"aclImdb/{split}"},
                )
                for split in ("train", "test")
            ]

    return ImdbReviewsLocal(data_dir=str(tfds_dir()))
