"""Exercise ex02b (lesson 02): one step of a GRU cell, laid out exactly like Keras' GRU.

A GRU has one state h and two gates: the update gate z decides how much of the old state to keep,
the reset gate r how much of it to use when proposing new values. Keras (with its default
reset_after=True) computes, with the gates in the order z, r, candidate:

    x_z, x_r, x_h = split(x @ kernel + bias[0], 3)                  the input's part
    h_z, h_r, h_h = split(h_prev @ recurrent_kernel + bias[1], 3)   the recurrent part
    z = sigmoid(x_z + h_z)
    r = sigmoid(x_r + h_r)
    candidate = tanh(x_h + r * h_h)         the reset gate scales the recurrent part
    h = z * h_prev + (1 - z) * candidate    z = 1 keeps the old state

Careful: some textbooks write h = (1 - z) * h_prev + z * candidate; Keras uses the line above.

Shapes:
    x                 (batch, features)
    h_prev            (batch, units)
    kernel            (features, 3 * units)
    recurrent_kernel  (units, 3 * units)
    bias              (2, 3 * units)     row 0: the input bias, row 1: the recurrent bias
Return h, shape (batch, units).

Your task: write `gru_step`. `sigmoid` is given.
Check it:  make check EX=ex02b        Stuck?  make hint EX=ex02b
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def gru_step(x, h_prev, kernel, recurrent_kernel, bias):
    """One GRU step in Keras' layout (reset_after=True); returns the new state h."""
    # TODO: compute the input part and the recurrent part, split each into three,
    #       then z, r, the candidate and the new h.
    # BEGIN SOLUTION
    x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)
    h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + bias[1], 3, axis=-1)
    z = sigmoid(x_z + h_z)
    r = sigmoid(x_r + h_r)
    candidate = np.tanh(x_h + r * h_h)
    return z * h_prev + (1 - z) * candidate
    # END SOLUTION
