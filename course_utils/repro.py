"""One seed for Python, NumPy and Keras, so a quick run gives the same numbers twice (on CPU; see
course_utils.device for determinism on a GPU)."""

from __future__ import annotations

import course_utils  # noqa: F401  (quiet logs before keras)
import keras
import tensorflow as tf

from course_utils.device import deterministic


def set_seed(seed: int) -> None:
    keras.utils.set_random_seed(seed)  # seeds Python's random, NumPy and the backend
    if not deterministic():
        return
    try:
        tf.config.experimental.enable_op_determinism()
    except (RuntimeError, AttributeError):  # already enabled, or an old TensorFlow
        pass
