"""The Keras recurrent layer behind each ``--cell`` choice, written once for every lesson."""

from __future__ import annotations

import course_utils  # noqa: F401  (quiet logs before keras)

import keras

RECURRENT_LAYERS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def recurrent_layer(cell: str, units: int, **kwargs):
    """A new ``SimpleRNN``, ``LSTM`` or ``GRU`` layer for ``cell`` = rnn, lstm or gru."""
    return RECURRENT_LAYERS[cell](units, **kwargs)
