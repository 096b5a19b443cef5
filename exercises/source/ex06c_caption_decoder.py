"""Exercise ex06c (lesson 06): the caption decoder, with the image as the GRU's initial state.

A one-to-many network gets one input (a photo) and writes a sequence (its caption). Lesson 06's
`--inject` decoder puts the photo in the one place a recurrent layer has room for it before the
first word: its initial state. Then the GRU reads the caption word by word (teacher forcing:
`[start] w1 ... wn`) and, after each word, scores every word of the vocabulary as the next one.

    image features  (batch, feature_dim)  --Dense(units, activation="tanh")-->  the GRU's initial state
    word ids        (batch, time)         --Embedding(vocab_size, embed_dim, mask_zero=True)-->
                    (batch, time, embed_dim)  --GRU(units, return_sequences=True), from that state-->
                    (batch, time, units)      --Dense(vocab_size)-->  logits (batch, time, vocab_size)

  - tanh: a GRU's state lives between -1 and 1, so the image's Dense uses that activation.
  - The image enters only through the initial state: it is not a word of the caption, and it is
    not joined to every word (lesson 06's default, merge, adds it to the GRU's outputs instead).
  - The output is logits, one score per word of the vocabulary, no softmax: lesson 06's loss is
    SparseCategoricalCrossentropy(from_logits=True), and decoding takes log_softmax of them.
  - Padding (id 0) after a short caption: with the mask, the GRU skips those steps and keeps its
    state, so at a padded position its output, and so the logits, stay those of the caption's last
    real word (the check looks at them). Careful: Keras 3 hands the Embedding's mask on by itself
    only to a layer called with that one tensor. A GRU that is also given `initial_state=` gets no
    mask unless you pass it: `mask=embedding.compute_mask(word_ids)` (or `keras.ops.not_equal(word_ids, 0)`).
  - Use the four arguments for the sizes. There is no other layer with weights and no dropout: this
    is the core of lesson 06's inject decoder, which adds dropout and one more tanh Dense on each
    side of the GRU.

    feature_dim  the size of one photo's feature vector (the encoder's output, averaged over its grid)
    vocab_size   the number of word ids, padding, [unk], [start] and [end] included (ids 0 to vocab_size - 1)
    embed_dim    the size of a word vector
    units        the GRU's size (and so its state's)
Return a keras.Model with two inputs, in this order: the image features (float) and the word ids
(int32, shape (batch, time) for any time); the check calls it as `model([features, word_ids])`.

Your task: write `build_decoder`.
Check it:  make check EX=ex06c        Stuck?  make hint EX=ex06c
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import keras


def build_decoder(feature_dim, vocab_size, embed_dim, units):
    """Image features -> the GRU's initial state; [start] w1 ... wn -> next-word logits at every position."""
    # TODO: two keras.Input (the features, and the word ids: shape (None,), dtype "int32"); the initial
    #       state from the features; the embedded words; the GRU from that state, given the mask; the logits.
    # BEGIN SOLUTION
    features = keras.Input(shape=(feature_dim,), name="image_features")
    word_ids = keras.Input(shape=(None,), dtype="int32", name="word_ids")
    state = keras.layers.Dense(units, activation="tanh", name="initial_state")(features)
    embedding = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True, name="embedding")
    words = embedding(word_ids)
    outputs = keras.layers.GRU(units, return_sequences=True, name="decoder_rnn")(
        words, initial_state=state, mask=embedding.compute_mask(word_ids)
    )
    logits = keras.layers.Dense(vocab_size, name="logits")(outputs)
    return keras.Model([features, word_ids], logits, name="caption_decoder")
    # END SOLUTION
