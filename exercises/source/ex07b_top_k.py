"""Exercise ex07b (lesson 07): top-k sampling probabilities.

Even a good language model gives every character a little probability, and over hundreds of
samples those unlikely characters do get picked, producing garbage. Top-k sampling keeps only
the k most likely choices: the softmax is taken over the k largest logits, every other choice
gets probability exactly 0.

    logits  a 1-D NumPy array of scores (the checks use distinct values, so there are no ties)
    k       an int >= 1; when k >= len(logits) nothing is removed
Return the probabilities, same shape as logits, summing to 1. Do not modify `logits`.

Your task: write `top_k_probs`.
Check it:  make check EX=ex07b        Stuck?  make hint EX=ex07b
"""

import numpy as np


def top_k_probs(logits, k):
    """softmax over the k largest logits; 0 for all the others."""
    # TODO: find the indices of the k largest logits (np.argsort or np.argpartition),
    #       set every other logit to -inf in a copy, then a numerically safe softmax.
    # BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    keep = np.argsort(logits)[::-1][:k]
    masked = np.full_like(logits, -np.inf)
    masked[keep] = logits[keep]
    e = np.exp(masked - masked.max())
    return e / e.sum()
    # END SOLUTION
