"""Shared plumbing for the course: data, runs, command line, plots, seeds.

Importing this package first keeps TensorFlow's start-up noise out of the lessons,
so it must be imported before keras or tensorflow.
"""

import logging
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# JAX compiles each new input shape (seconds each on a CPU); kept on disk, a second run reuses them.
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR",
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "jax"),
)  # .cache/ is git-ignored
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="tensorflow")
warnings.filterwarnings("ignore", message=".*np.object.*")
# Our tf.data pipelines shuffle themselves; Keras warns that fit(shuffle=True) is then ignored.
warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")


class _NoRetracingAdvice(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warning: advice for library authors, printed when a
    lesson reads texts of several lengths (a generator's prime, then one character at a time)."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


logging.getLogger("tensorflow").addFilter(_NoRetracingAdvice())

from pathlib import Path  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


def in_kernel() -> bool:
    """True inside a Jupyter kernel (a notebook in JupyterLab, VS Code, nbclient...)."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _headless() -> bool:
    return sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# Figures draw inline in a notebook (the kernel sets that up); with no display and no kernel they
# render off-screen. A backend the learner chose (MPLBACKEND) is never overridden.
if "MPLBACKEND" not in os.environ and not in_kernel() and _headless():
    os.environ["MPLBACKEND"] = "Agg"


class CourseError(Exception):
    """A problem the learner can fix; the command line prints it as one line."""
