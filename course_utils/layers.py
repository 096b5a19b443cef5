"""The Keras recurrent layer behind each ``--cell`` choice, written once for every lesson."""

from __future__ import annotations

import course_utils  # noqa: F401  (quiet logs before keras)

import keras

from course_utils import CourseError

RECURRENT_LAYERS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def recurrent_layer(cell: str, units: int, **kwargs):
    """A new ``SimpleRNN``, ``LSTM`` or ``GRU`` layer for ``cell`` = rnn, lstm or gru."""
    return RECURRENT_LAYERS[cell](units, **kwargs)


STATEFUL_TRAINING_FAILS = {  # per backend: the cells that cannot train statefully, and why
    "jax": (
        ("rnn", "lstm", "gru"),
        "Keras's stateful RNN layers do not carry their state from batch to batch on jax "
        "(the state is not part of the compiled training step)",
    ),
    "torch": (
        ("lstm", "gru"),
        "Keras's stateful LSTM and GRU layers cannot train on torch (updating the state in place breaks the "
        "backward pass)",
    ),
}


def check_stateful_backend(config, what: str = "stateful training") -> None:
    """One line, before anything runs, when ``config`` trains statefully where that cannot work."""
    backend = keras.backend.backend()
    cells, reason = STATEFUL_TRAINING_FAILS.get(backend, ((), ""))
    if config.stateful and config.cell in cells:
        other = " (or --cell rnn)" if "rnn" not in cells else ""
        raise CourseError(
            f"{what} with --cell {config.cell} runs on the tensorflow backend, not {backend}: {reason}; "
            f"run it with BACKEND=tensorflow{other}"
        )
