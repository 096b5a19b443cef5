"""Exercise ex03a (lesson 03): a sentiment model that ignores padding.

Reviews have different lengths, so a batch is padded with zeros to its longest review. Without a
mask the RNN reads those zeros as if they were words, and the prediction for a review changes with
how much padding happens to follow it. With `mask_zero=True` the Embedding layer marks token id 0
as padding, and the recurrent layer skips those steps: the prediction no longer depends on padding.

Build the lesson 03 model:
    input:   integer token ids, shape (batch, time), any time; 0 is padding, ids go up to vocab_size - 1
    layers:  keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)
             keras.layers.GRU(units)       (SimpleRNN or LSTM work too)
             keras.layers.Dense(1, activation="sigmoid")
    output:  shape (batch, 1), the probability that the review is positive
Return the keras.Model (compiling it is up to you; the check only calls it).

Your task: write `build_model`.
Check it:  make check EX=ex03a        Stuck?  make hint EX=ex03a
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import keras


def build_model(vocab_size, embed_dim=16, units=16):
    """An Embedding -> GRU -> Dense(sigmoid) classifier whose output ignores padding."""
    # TODO: keras.Input(shape=(None,), dtype="int32"), then the three layers,
    #       then keras.Model(inputs, outputs).
    # BEGIN SOLUTION
    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    embedded = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    state = keras.layers.GRU(units)(embedded)
    outputs = keras.layers.Dense(1, activation="sigmoid")(state)
    return keras.Model(inputs, outputs, name="masked_sentiment")
    # END SOLUTION
