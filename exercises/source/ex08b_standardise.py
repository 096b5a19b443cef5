"""Exercise ex08b (lesson 08): scale every split with statistics from the training rows only.

Lesson 08's features (PM2.5, dew point, temperature, pressure, wind...) have very different
ranges, so each column is standardised: (value - mean) / std. The mean and std must come from the
TRAINING rows alone (2010-2012). Computed over every split, they would let the validation and test
years (2013, 2014) leak into training: the model would be scaled with knowledge of the future,
and its test score would not be honest.

    splits  a dict of name -> NumPy array of floats, shape (rows, columns); one name is "train",
            the others can be anything ("val" and "test", or only "test", ...). A value may be NaN:
            PM2.5 is missing for some hours.
For every column, from splits["train"] alone, ignoring NaN (np.nanmean and np.nanstd, ddof=0,
np.nanstd's default, not the ddof=1 of pandas' .std()):

    mean  the column's mean                                  shape (columns,)
    std   the column's standard deviation; 1 for a column that is constant in training (its std
          is 0, and dividing by 0 would give inf and NaN)    shape (columns,)
Return (scaled, (mean, std)): `scaled` a new dict with the same names, each split's rows as
(rows - mean) / std; a NaN stays NaN. Do not change the arrays you are given (the caller still
needs them). Lesson 08 (`make lesson08`) scales its splits with this function, and turns the
model's forecasts back into micrograms per cubic metre with the mean and std it returns.

Your task: write `standardise`.
Check it:  make check EX=ex08b        Stuck?  make hint EX=ex08b
"""

import numpy as np


def standardise(splits):
    """Every split scaled with the training rows' statistics: (splits scaled, (mean, std))."""
    # TODO: per-column mean and std of splits["train"] (axis=0) ignoring NaN; a std of 0 becomes 1;
    #       then a new dict with (rows - mean) / std for every split.
    # BEGIN SOLUTION
    train = np.asarray(splits["train"], dtype=np.float64)
    mean = np.nanmean(train, axis=0)
    std = np.nanstd(train, axis=0)
    std = np.where(std == 0, 1.0, std)
    scaled = {name: (np.asarray(rows, dtype=np.float64) - mean) / std for name, rows in splits.items()}
    return scaled, (mean, std)
    # END SOLUTION
