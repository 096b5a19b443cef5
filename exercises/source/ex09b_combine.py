"""Exercise ex09b (lesson 09): two steps of a linear recurrence made into one, for a parallel scan.

Written with a_t = 1 - z_t and b_t = z_t * candidate_t, the minGRU is a linear recurrence,

    h_t = a_t * h_{t-1} + b_t          (element-wise)

and one step is the pair (a_t, b_t): the map h -> a_t * h + b_t. Two steps, (a1, b1) and then
(a2, b2), are again such a map,

    h -> a2 * (a1 * h + b1) + b2

and once multiplied out it has the form A * h + B: the pair (A, B) is the two steps as one.
Combining steps this way is associative, combine(combine(s1, s2), s3) == combine(s1, combine(s2,
s3)), which is all keras.ops.associative_scan needs to compute every prefix (A_t, B_t), s1 then
s2 ... then s_t as one step, in about 2 log2(T) rounds instead of T steps. Lesson 09 uses it so:

    A, B = keras.ops.associative_scan(combine, (a, b), axis=1)     a, b: (batch, T, units)
    h = A * h0[:, None, :] + B                                       every h_t at once

    first   the earlier step, a pair (a1, b1)
    second  the later step, a pair (a2, b2)
a1, b1, a2, b2 are arrays or Keras tensors of one shape: the scan gives combine whole slices of
a and b at once, so write it element-wise (*, +), no loop and no `if` on their values.
Return the combined step as a pair (A, B): a tuple (or a list) of two, like each argument.
Do not change the arrays you are given.

The check calls combine directly (is it associative? the right pair?), then runs
keras.ops.associative_scan with it and compares A_t * h0 + B_t with a plain loop of
h_t = a_t * h_{t-1} + b_t: odd lengths, length 1, a = 0 (the state forgotten), a = 1, h0 != 0.

Your task: write `combine`.
Check it:  make check EX=ex09b        Stuck?  make hint EX=ex09b
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import keras
import numpy as np


def combine(first, second):
    """The step (a1, b1) followed by (a2, b2), as one step: h -> a2 (a1 h + b1) + b2."""
    # TODO: unpack each step into its a and b; multiply out a2 * (a1 * h + b1) + b2 into A * h + B
    #       and return (A, B).
    # BEGIN SOLUTION
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2
    # END SOLUTION
