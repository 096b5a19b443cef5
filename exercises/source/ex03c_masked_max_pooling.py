"""Exercise ex03c (lesson 03): max pooling over time that skips the padding.

Lesson 03's best model (`--pooling max`) does not classify a review from the GRU's last state alone.
The GRU returns its output at every step (`return_sequences=True`), and the model keeps, for each
unit, its largest value anywhere in the review: every word gets a short path to the answer. Keras'
GlobalMaxPooling1D ignores the mask, so a padded step could win that maximum; the lesson's
`MaskedMaxPooling` layer leaves the padded steps out. Write what that layer computes.

    outputs  a float tensor of shape (batch, time, units): the recurrent layer's output at every step
    mask     a tensor of shape (batch, time): True at a real word, False at padding (Keras' mask, from
             Embedding(mask_zero=True)); 1 and 0 (ints or floats) mean the same. Padding may be
             anywhere, not only at the end. None: there is no mask, every step is real.
Return a tensor of shape (batch, units): for each review and unit, the max of `outputs` over the
review's real steps.

  - Replace each padded step by PADDING_VALUE (-1e9) and take the max over time: a padded step never
    wins, not even where all of a unit's real values are negative (0 would win there).
  - A row with no real step at all (nothing but padding) gives PADDING_VALUE in every unit, as the
    lesson's layer does. Not -inf: a Dense layer after it would turn -inf into NaN.
  - Use keras.ops only (keras.ops.where, keras.ops.max, ...), no NumPy and no TensorFlow: inside a
    model your function is given symbolic tensors, which NumPy cannot compute with, and keras.ops
    works with every Keras backend.

`MaskedMaxPooling` below (given) is the lesson's layer calling your function: Keras passes the mask
to `call`. The check calls `masked_max` on hand-made tensors, then inside a layer like this one in
an Embedding(mask_zero=True) -> GRU(return_sequences=True) -> pooling -> Dense model, on real IMDB
reviews of different lengths (run `make lesson03` once first: it downloads IMDB).

Your task: write `masked_max`.
Check it:  make check EX=ex03c        Stuck?  make hint EX=ex03c
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import keras

PADDING_VALUE = -1e9  # what a padded step becomes before the max (lesson 03's MaskedMaxPooling uses it)


def masked_max(outputs, mask):
    """The max of `outputs` over each row's real steps: (batch, time, units) -> (batch, units)."""
    # TODO: where the mask says padding, put PADDING_VALUE (keras.ops.where; give the mask a units
    #       axis so that it lines up with outputs); then the max over the time axis.
    # BEGIN SOLUTION
    if mask is not None:
        real = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)  # (batch, time, 1)
        outputs = keras.ops.where(real, outputs, keras.ops.full_like(outputs, PADDING_VALUE))
    return keras.ops.max(outputs, axis=1)
    # END SOLUTION


class MaskedMaxPooling(keras.layers.Layer):
    """Lesson 03's layer: each unit's largest output over the real steps (GlobalMaxPooling1D ignores masks)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # Keras then gives `call` the mask of its input

    def call(self, inputs, mask=None):
        return masked_max(inputs, mask)

    def compute_mask(self, inputs, mask=None):
        return None  # one vector per review: no time axis is left to mask
