"""Text vectorization helpers shared by the word-level lessons."""

from __future__ import annotations

import course_utils  # noqa: F401

import keras
import numpy as np
import tensorflow as tf


@keras.saving.register_keras_serializable(package="course")
def clean_text(text):
    """Lower-case, turn HTML line breaks into spaces, keep ! and ? as words, drop other punctuation.

    Registered with Keras so that a saved model containing a TextVectorization that uses it
    can be loaded again (``import course_utils.text`` before ``keras.models.load_model``).
    """
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, r"<br\s*/?>", " ")
    text = tf.strings.regex_replace(text, r"([!?])", r" \1 ")
    text = tf.strings.regex_replace(text, r"[^a-z0-9!?' ]", " ")
    return tf.strings.regex_replace(text, r"'(\s|$)|(^|\s)'", " ")


def fit_vectorizer(texts, *, max_tokens: int, sequence_length: int | None, **kwargs):
    """A TextVectorization layer adapted to ``texts`` (index 0 = padding, 1 = unknown)."""
    layer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=sequence_length, standardize=clean_text, **kwargs
    )
    layer.adapt(tf.data.Dataset.from_tensor_slices(list(texts)).batch(1024))
    return layer


def vectorize(layer, texts, batch_size: int = 2048) -> np.ndarray:
    """Run a fixed-length TextVectorization over many texts, returning one int32 array."""
    parts = [
        keras.ops.convert_to_numpy(layer(tf.constant(texts[i : i + batch_size])))
        for i in range(0, len(texts), batch_size)
    ]
    return np.concatenate(parts).astype("int32")


def bucketed_batches(arrays: tuple, batch_size: int, *, seed: int | None):
    """A tf.data pipeline of batches of rows of similar length from parallel arrays.

    Recurrent layers step through every position of a batch, padding included, so grouping
    sequences of similar length makes an epoch much cheaper without changing what is
    learned (the padding is masked anyway). Every 2-D array must be padded with 0 at the end
    and is cut, batch by batch, to its longest row there; other arrays (labels) pass through.
    Rows are grouped by their total length. With a ``seed`` the grouping and the batch order
    change every epoch, reproducibly; without one the order is fixed (for evaluation).

    On the JAX backend every new batch shape is compiled anew (XLA), so there each batch is cut
    to one of a few fixed lengths instead (``padded_length``): a handful of compilations rather
    than one per batch, for a little more (masked) padding.
    """
    lengths = [np.maximum((a != 0).sum(axis=1), 1) if a.ndim == 2 else None for a in arrays]
    total = np.sum([n for n in lengths if n is not None], axis=0)
    n_batches = -(-len(total) // batch_size)
    epoch = [0]

    def generate():
        rng = np.random.default_rng(None if seed is None else seed + epoch[0])
        epoch[0] += 1
        jitter = rng.uniform(0.85, 1.15, len(total)) if seed is not None else 1.0
        order = np.argsort(total * jitter, kind="stable")
        batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        for b in rng.permutation(len(batches)) if seed is not None else range(len(batches)):
            idx = batches[b]
            yield tuple(
                a[idx] if n is None else a[idx, : batch_width(n[idx].max(), a.shape[1])]
                for a, n in zip(arrays, lengths)
            )

    signature = tuple(tf.TensorSpec(shape=(None,) * a.ndim, dtype=tf.as_dtype(a.dtype)) for a in arrays)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(tf.data.AUTOTUNE)


def batch_width(longest: int, width: int) -> int:
    """How many columns a batch whose longest row has ``longest`` tokens keeps: exactly those, or on JAX,
    which compiles every new shape, the next of a few fixed lengths (``padded_length``)."""
    return padded_length(longest, width) if keras.backend.backend() == "jax" else int(longest)


def padded_length(longest: int, width: int) -> int:
    """The smallest of 16, 32, 64, 128... (times 1 or 1.5) that holds ``longest``, at most ``width``."""
    size = 16
    while size < longest:
        size = size * 3 // 2 if size & (size - 1) == 0 else size * 4 // 3
    return min(size, width)
