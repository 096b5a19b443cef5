"""The same datasets through tensorflow-datasets (``--source tfds``), offline, from the course's data root.

``tfds.load("tiny_shakespeare")`` is how most tutorials get their data: one call, a tf.data
pipeline back. Here it never touches the network: the file is first found (or downloaded, with
its sha256 checked) by ``course_utils.data`` like every other dataset, then handed to tfds as
its ``manual_dir``, or to a small subclass of tfds' own builder that reads the local archive.
Without the file it stops at once with the course's one-line message (tfds on its own retries a
download for minutes before failing).

What the course's own loaders add, and tfds does not give: the sha256 of the official file, and
for IMDB the movie each review belongs to (tfds keeps text and label only), which the course uses
to hold out whole movies for validation. For CoNLL-2003 (no official download; tfds' builder
fetches a copy from data.deepai.org) tfds reads the course's official ``eng.*`` files instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

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
    for example in _examples(builder, split):
        texts.append(example["text"].decode("utf-8"))
        labels.append(int(example["label"]))
    return texts, labels


def shuffled_subset(texts, labels, limit, seed):
    """``texts`` and ``labels`` shuffled, then (with a ``limit``) a class-balanced subset, as load_imdb does."""
    order = np.random.default_rng(seed).permutation(len(texts))
    labels = np.asarray(labels, dtype="int32")[order]
    if limit is not None and limit < len(order):
        keep = np.sort(
            np.concatenate(
                [np.flatnonzero(labels == 1)[: limit // 2], np.flatnonzero(labels == 0)[: limit - limit // 2]]
            )
        )
        order, labels = order[keep], labels[keep]
    return [texts[i] for i in order], labels


def imdb_with_random_validation(train_limit, test_limit, seed):
    """Lesson 03's IMDB through tfds: training reviews, labels, test reviews, labels, and a validation mask drawn
    at random (tfds gives no movie ids, so whole movies cannot be held out)."""
    texts, labels = shuffled_subset(*imdb_reviews("train"), train_limit, seed)
    test_texts, test_labels = shuffled_subset(*imdb_reviews("test"), test_limit, seed)
    val = np.random.default_rng(seed).random(len(texts)) < 0.1
    print(
        "tfds gives no movie ids: the validation reviews are drawn at random, so many of their movies "
        "are in training too (validation accuracy reads about 2 points high; the test reviews are the same)"
    )
    return texts, labels, test_texts, test_labels, val


CONLL2003_FILES = {"train": "train", "dev": "testa", "test": "testb"}  # tfds' split -> the official eng.* file


def conll2003(split: str) -> list[tuple[list[str], list[str]]]:
    """CoNLL-2003's ``train``, ``dev`` (eng.testa) or ``test`` (eng.testb) sentences as (tokens, NER tags),
    read by tfds' conll2003 builder from the course's local files, in the files' order. The tags are the
    files' own, IOB1 (tfds names its classes B-PER, I-PER, ... whichever scheme the file uses)."""
    if split not in CONLL2003_FILES:
        raise ValueError(f"split must be one of {', '.join(CONLL2003_FILES)}, not {split!r}")
    tfds = _tfds()
    files = {name: data.fetch(f"conll2003_{file}") for name, file in CONLL2003_FILES.items()}
    builder = _local_conll2003_builder(tfds, files)
    tags = builder.info.features["ner"].feature.names  # tfds gives each tag as its class number
    return [
        ([token.decode("utf-8") for token in example["tokens"]], [tags[number] for number in example["ner"]])
        for example in _examples(builder, split)
        if len(example["tokens"])  # tfds' reader ends each file with an empty sentence (they end in -DOCSTART-)
    ]


def _examples(builder, split):
    if not _prepared(builder):
        builder.download_and_prepare()
    return builder.as_dataset(split=split).as_numpy_iterator()


def _prepared(builder) -> bool:
    return builder.info.splits.total_num_examples > 0 and Path(builder.data_dir).is_dir()


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


def _local_conll2003_builder(tfds, files: dict[str, Path]):
    """tfds' own CoNLL-2003 builder (its reader, features and splits), reading the local ``files`` instead of
    downloading, and keeping their sentence order (tfds otherwise shuffles examples as it writes them)."""
    from tensorflow_datasets.text.conll2003 import conll2003

    class Conll2003Local(conll2003.Conll2003, skip_registration=True):  # a new class at every call: not registered
        name = "conll2003_local"

        def _info(self):
            info = super()._info()
            info.as_proto.disable_shuffling = True
            return info

        def _split_generators(self, dl_manager):
            return {split: self._generate_examples(path) for split, path in files.items()}

    return Conll2003Local(data_dir=str(tfds_dir()))
