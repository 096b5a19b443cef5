"""Where a lesson trains: the device line each run prints, determinism, and cuDNN.

On a GPU, TensorFlow's LSTM and GRU run NVIDIA's cuDNN kernels (several times faster) when the
layer allows it: tanh and sigmoid activations, a bias, no recurrent dropout, not unrolled, and for
the GRU ``reset_after=True`` (Keras' defaults). A layer that breaks one of these conditions runs
the generic kernel instead, silently; ``cudnn_report`` says which and why. cuDNN also needs every
mask to be right-padded (padding only at the end, no row of padding alone): the course's input
pipelines pad at the end, and ``mask_error`` turns TensorFlow's assertion into one line.

Op determinism (the same numbers on every run) is on by default on CPU. On a GPU it is off by
default: some GPU kernels have no deterministic version and would raise, and the deterministic
ones are slower. ``COURSE_DETERMINISTIC=1`` or ``=0`` chooses explicitly.
"""

from __future__ import annotations

import os

import course_utils  # noqa: F401  (quiet logs before keras)

import keras

DETERMINISM_ENV = "COURSE_DETERMINISTIC"


def gpus() -> list[str]:
    """The names of the GPUs the Keras backend can use (empty on a CPU-only machine or build)."""
    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            devices = tf.config.list_physical_devices("GPU")
            return [tf.config.experimental.get_device_details(d).get("device_name", d.name) for d in devices]
        if backend == "jax":
            import jax

            return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        if backend == "torch":
            import torch

            return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001  (a broken driver means: no usable GPU)
        return []
    return []


def describe() -> str:
    """One line for the learner: the device, the backend and its version."""
    backend = keras.backend.backend()
    found = gpus()
    if found:
        names = ", ".join(dict.fromkeys(found))
        where = f"GPU ({len(found)} x {names})" if len(found) > 1 else f"GPU ({names})"
    else:
        where = f"CPU ({os.cpu_count()} cores)"
    return f"{where}, Keras {keras.__version__} on {backend} {backend_version(backend)}"


def backend_version(backend: str) -> str:
    try:
        module = __import__(backend)
        return getattr(module, "__version__", "")
    except ImportError:
        return ""


def deterministic() -> bool:
    """Whether to turn on op determinism: COURSE_DETERMINISTIC if set, else only without a GPU."""
    value = os.environ.get(DETERMINISM_ENV, "").strip()
    if value in ("0", "1"):
        return value == "1"
    return not gpus()


def cudnn_blockers(layer) -> list[str]:
    """Why ``layer`` (an LSTM or GRU) cannot use cuDNN; empty when it can (or when it is another kind)."""
    if not isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        return []
    cell = layer.cell
    reasons = []
    if getattr(layer, "use_cudnn", "auto") is False:
        reasons.append("use_cudnn=False")
    if cell.activation is not keras.activations.tanh:
        reasons.append(f"activation={getattr(cell.activation, '__name__', cell.activation)}")
    if cell.recurrent_activation is not keras.activations.sigmoid:
        reasons.append(f"recurrent_activation={getattr(cell.recurrent_activation, '__name__', '?')}")
    if cell.recurrent_dropout:
        reasons.append(f"recurrent_dropout={cell.recurrent_dropout}")
    if layer.unroll:
        reasons.append("unroll=True")
    if not cell.use_bias:
        reasons.append("use_bias=False")
    if isinstance(layer, keras.layers.GRU) and not cell.reset_after:
        reasons.append("reset_after=False")
    return reasons


def cudnn_report(model) -> list[str]:
    """A line for each LSTM/GRU layer of ``model`` that will run the generic kernel on a GPU."""
    return [
        f"{layer.name} ({type(layer).__name__}): {', '.join(cudnn_blockers(layer))}"
        for layer in recurrent_layers(model)
        if cudnn_blockers(layer)
    ]


def recurrent_layers(layer) -> list:
    """The LSTM and GRU layers inside ``layer`` (a model, a Bidirectional wrapper, or one layer)."""
    if isinstance(layer, (keras.layers.LSTM, keras.layers.GRU)):
        return [layer]
    if isinstance(layer, keras.layers.Bidirectional):
        return recurrent_layers(layer.forward_layer) + recurrent_layers(layer.backward_layer)
    return [found for inner in getattr(layer, "layers", []) for found in recurrent_layers(inner)]


def mask_error(err: BaseException) -> str | None:
    """The one-line explanation of cuDNN's 'mask is not right-padded' assertion, or None for other errors."""
    if "right-padded sequences, while using cuDNN" not in str(err):
        return None
    return (
        "cuDNN needs right-padded masks (padding only at the end of each row, no row of padding alone): "
        "an input row is padded at the front or is all padding; pad at the end, drop empty rows, "
        "or run on the CPU (CUDA_VISIBLE_DEVICES=)"
    )
