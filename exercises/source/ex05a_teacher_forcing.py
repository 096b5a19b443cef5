"""Exercise ex05a (lesson 05): the target sentence for teacher forcing.

A translation's decoder is trained with teacher forcing: at every position it reads the true
previous French word (not its own guess) and is scored on predicting the next one. Both come
from one array. Each French sentence (a list of word ids) is wrapped in two special tokens and
padded with 0 to the longest sentence of the batch:

    sentence ids:     [je, suis, froid]
    targets row:      [start, je, suis, froid, end, 0, 0]          (longest + 2 columns)

The decoder input is every column but the last, the decoder target every column but the
first: position t reads targets[t] and must predict targets[t + 1].

    decoder input:    [start, je, suis, froid, end, 0]
    decoder target:   [je, suis, froid, end, 0, 0]

The input of a shorter sentence still holds its [end], but only where the target is padding,
and the loss ignores padding (lesson 05 compiles it with ignore_class=0), so that does no harm.
The decoder target ends with [end]: the model must learn to say when the sentence is over.

    sentences  a list of sentences, each a list of int word ids (none of them 0, start or end)
    start_id   the id of [start];  end_id  the id of [end]  (use them: they differ per vocabulary)
    targets    the int array add_start_end returns

Your tasks: write `add_start_end` (the padded targets array, ints) and `teacher_forcing`
(a pair of int arrays: decoder input and decoder target, one column shorter each).
Check it:  make check EX=ex05a        Stuck?  make hint EX=ex05a
"""

import numpy as np


def add_start_end(sentences, start_id, end_id):
    """[start] ids [end] per sentence, padded with 0 at the end: an int array (batch, longest + 2)."""
    # TODO: an array of zeros (batch, longest + 2); then each row starts with
    #       [start_id, *ids, end_id].
    # BEGIN SOLUTION
    width = max(len(ids) for ids in sentences) + 2
    targets = np.zeros((len(sentences), width), dtype=np.int64)
    for row, ids in enumerate(sentences):
        targets[row, : len(ids) + 2] = [start_id, *ids, end_id]
    return targets
    # END SOLUTION


def teacher_forcing(targets):
    """(decoder_input, decoder_target): what the decoder reads and what it must predict, one step apart."""
    # TODO: two slices of targets, one column shorter each.
    # BEGIN SOLUTION
    targets = np.asarray(targets)
    return targets[:, :-1], targets[:, 1:]
    # END SOLUTION
