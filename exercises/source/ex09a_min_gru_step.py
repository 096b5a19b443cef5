"""Exercise ex09a (lesson 09): one step of a minGRU, for a batch.

The minGRU keeps the GRU's update and drops what made it sequential: its gate z and its candidate
read the input x_t only, never the previous state h_prev:

    z         = sigmoid(x_t @ w_z + b_z)        the update gate: how much of the NEW candidate to take
    candidate = g(x_t @ w_h + b_h)              g is given below: x + 1/2 for x >= 0, sigmoid(x) below
    h_t       = (1 - z) * h_prev + z * candidate

Careful: lesson 02's Keras GRU writes h = z * h_prev + (1 - z) * candidate; the minGRU (and
lesson 09) gives z to the candidate. And the activation is g, not tanh: g is always positive,
which lesson 09's log-space form needs.

Shapes (a batch of rows, as Keras lays them out):
    x_t     (batch, inputs)    the input at this step
    h_prev  (batch, units)     the previous state
    w_z     (inputs, units)    the gate's weights        b_z  (units,)  its bias
    w_h     (inputs, units)    the candidate's weights   b_h  (units,)  its bias
Return h_t, shape (batch, units): a NumPy array or a Keras tensor. The check gives NumPy arrays
(float64 or float32) in some cases and float32 Keras tensors in others, and units may be 1; write
it with keras.ops (keras.ops.matmul, keras.ops.sigmoid) or NumPy, as you like.

Lesson 09 (`make lesson09`) runs a loop of this step and then computes the same states for a
whole window at once; the check compares your step with its min_gru_step.

Your task: write `min_gru_step`. `g` is given.
Check it:  make check EX=ex09a        Stuck?  make hint EX=ex09a
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import keras
import numpy as np


def g(x):
    """minGRU's candidate activation: x + 1/2 for x >= 0, sigmoid(x) below; continuous and always positive."""
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))


def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    """One minGRU step for a batch: x_t (batch, inputs), h_prev (batch, units) -> h_t (batch, units)."""
    # TODO: the gate z from x_t alone (a matrix product, its bias, a sigmoid), the candidate with g,
    #       then h_t: z decides how much of the candidate replaces h_prev.
    # BEGIN SOLUTION
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z) + b_z)  # the gate reads x_t only
    candidate = g(keras.ops.matmul(x_t, w_h) + b_h)
    return (1 - z) * h_prev + z * candidate
    # END SOLUTION
