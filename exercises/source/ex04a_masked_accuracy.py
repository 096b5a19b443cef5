"""Exercise ex04a (lesson 04): token accuracy that does not count padding.

A tagger predicts one tag per word. Sentences in a batch are padded to the same length, and on
padding the "right answer" is meaningless: counting those positions inflates the accuracy (a
model that predicts the padding tag everywhere looks good on short sentences). Masked accuracy
counts only the real tokens:

    accuracy = (number of real tokens whose predicted tag is the true tag) / (number of real tokens)

    y_true  (batch, time) integer tag ids; pad_id marks padding
    y_pred  (batch, time, n_tags) scores per tag (probabilities or logits); the predicted tag is
            the one with the highest score
    pad_id  the tag id used for padding (lesson 04 masks padding with per-token weights instead)
Return a Python float (0.0 when there are no real tokens at all).

Your task: write `masked_token_accuracy`.
Check it:  make check EX=ex04a        Stuck?  make hint EX=ex04a
"""

import numpy as np


def masked_token_accuracy(y_true, y_pred, pad_id=0):
    """The fraction of non-padding tokens whose highest-scoring tag is right."""
    # TODO: argmax over the tags axis, a boolean mask of real tokens,
    #       then count correct real tokens and divide by the number of real tokens.
    # BEGIN SOLUTION
    y_true = np.asarray(y_true)
    predicted = np.argmax(np.asarray(y_pred), axis=-1)
    real = y_true != pad_id
    if not real.any():
        return 0.0
    return float(np.sum((predicted == y_true) & real) / np.sum(real))
    # END SOLUTION
