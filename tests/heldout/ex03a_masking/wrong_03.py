# WRONG: Embedding(vocab_size - 1, ...) ("id 0 is padding, so one fewer word"): the largest id vocab_size-1 is out of range. Distinguishing: input [[vocab_size-1]].

import course_utils  # noqa: F401
import keras

def build_model(vocab_size, embed_dim=16, units=16):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size - 1, embed_dim, mask_zero=True)(inputs)
    x = keras.layers.GRU(units)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
