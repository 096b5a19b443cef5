"""Exercise ex08a (lesson 08): (window, label) pairs for forecasting `horizon` hours ahead.

Lesson 08 forecasts Beijing's PM2.5 from the hours before: a model reads a window of `window`
past hours (PM2.5 and the weather) and predicts PM2.5 `horizon` hours after the window's LAST
hour. Training pairs are cut from the hourly table like this (window 3, horizon 2):

    hour      0   1   2   3   4   5   6 ...
    pair 0   [w   w   w]      L              windows[0] = inputs[0:3], labels[0] = targets[2 + 2]
    pair 1       [w   w   w]      L          windows[1] = inputs[1:4], labels[1] = targets[3 + 2]

    inputs   shape (time, features), or (time,) for a single series: a NumPy array of floats or
             ints, or a list (of lists) of numbers
    targets  shape (time,), the same kinds: the value to forecast at each hour (lesson 08: PM2.5)
    window   an int >= 1: how many hours each window holds
    horizon  an int >= 1: how many hours after the window's last hour the label is
Return (windows, labels), two NumPy arrays (any number dtype; the values are what is checked):

    windows[i] = inputs[i : i + window]              shape (n, window, features), or (n, window)
    labels[i]  = targets[i + window - 1 + horizon]   shape (n,)

with n = time - window - horizon + 1: every pair whose label exists. When there is none (a series
shorter than window + horizon), both are empty, with the right shapes: (0, window, features) or
(0, window), and (0,). Do not change the arrays you are given.

Lesson 08 (`make lesson08`) shows the alignment with this function on a series whose values are
their own hour numbers; its tf.data pipeline gathers the same pairs for training.

Your task: write `window_pairs`.
Check it:  make check EX=ex08a        Stuck?  make hint EX=ex08a
"""

import numpy as np


def window_pairs(inputs, targets, window, horizon):
    """(windows, labels) for forecasting `horizon` steps after each window's last row."""
    # TODO: n = len(inputs) - window - horizon + 1 pairs (none when that is below 1). windows[i] is
    #       inputs[i : i + window]; its label is targets[i + window - 1 + horizon].
    # BEGIN SOLUTION
    inputs = np.asarray(inputs)
    targets = np.asarray(targets)
    n = max(len(inputs) - window - horizon + 1, 0)
    starts = np.arange(n)
    windows = inputs[starts[:, None] + np.arange(window)]  # rows (n, window): (n, window, features)
    labels = targets[starts + window - 1 + horizon]
    return windows, labels
    # END SOLUTION
