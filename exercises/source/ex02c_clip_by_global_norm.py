"""Exercise ex02c (lesson 02): gradient clipping by global norm.

An RNN's gradients can explode: one unlucky batch and a single update throws the weights far away.
Clipping by global norm treats all the gradient arrays as one long vector and, when that vector
is longer than max_norm, shrinks it to length max_norm, keeping its direction:

    global_norm = sqrt(sum of g**2 over every element of every array in grads)
    if global_norm > max_norm:  every array becomes g * max_norm / global_norm
    otherwise:                  the arrays are returned unchanged (never scaled up)

Keras optimisers do this when created with `global_clipnorm=...`, e.g.
keras.optimizers.Adam(global_clipnorm=1.0); their `clipnorm=...` clips each array on its own instead.

    grads     a list of NumPy arrays (of any shapes), one per weight
    max_norm  a positive float
Return the pair (clipped, global_norm): a new list of arrays with the same shapes, and the norm
*before* clipping as a float. Do not modify the arrays you are given.

Your task: write `clip_by_global_norm`.
Check it:  make check EX=ex02c        Stuck?  make hint EX=ex02c
"""

import numpy as np


def clip_by_global_norm(grads, max_norm):
    """Return (clipped list of arrays, global norm before clipping)."""
    # TODO: compute the global norm over all arrays, then the scale,
    #       then a new list of scaled arrays.
    # BEGIN SOLUTION
    global_norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads)))
    scale = max_norm / global_norm if global_norm > max_norm else 1.0
    return [g * scale for g in grads], global_norm
    # END SOLUTION
