"""Exercise ex02a (lesson 02): one step of an LSTM cell, laid out exactly like Keras' LSTM.

An LSTM keeps two states: the cell c (a conveyor belt that gates add to and erase from) and the
output h. Four gates are computed from the input and the previous output:

    z = x @ kernel + h_prev @ recurrent_kernel + bias      then split z into four equal parts,
                                                           in Keras' order: i, f, g, o
    i = sigmoid(z_i)    input gate: how much of the candidate to write
    f = sigmoid(z_f)    forget gate: how much of the old cell to keep
    g = tanh(z_g)       the candidate values
    o = sigmoid(z_o)    output gate: how much of the cell to show
    c = f * c_prev + i * g
    h = o * tanh(c)

Shapes (a batch of rows, as Keras stores them; units = the number of LSTM units):
    x                 (batch, features)
    h_prev, c_prev    (batch, units)
    kernel            (features, 4 * units)    columns [0:units] belong to i, [units:2*units] to f, ...
    recurrent_kernel  (units, 4 * units)
    bias              (4 * units,)
Return the pair (h, c), each of shape (batch, units). With the weights of a `keras.layers.LSTM`
(layer.get_weights() gives kernel, recurrent_kernel, bias), your cell computes exactly what it does.

Your task: write `lstm_step`. `sigmoid` is given.
Check it:  make check EX=ex02a        Stuck?  make hint EX=ex02a
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    """One LSTM step in Keras' layout; returns (h, c)."""
    # TODO: compute z, split it into the four gates in the order i, f, g, o,
    #       then the new cell c and the new output h.
    # BEGIN SOLUTION
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c
    # END SOLUTION
