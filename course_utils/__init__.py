"""Shared plumbing for the course: data, runs, command line, plots, seeds.

Importing this package first keeps TensorFlow's start-up noise out of the lessons,
so it must be imported before keras or tensorflow.
"""

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="tensorflow")
warnings.filterwarnings("ignore", message=".*np.object.*")
# Our tf.data pipelines shuffle themselves; Keras warns that fit(shuffle=True) is then ignored.
warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")

from pathlib import Path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


class CourseError(Exception):
    """A problem the learner can fix; the command line prints it as one line."""
