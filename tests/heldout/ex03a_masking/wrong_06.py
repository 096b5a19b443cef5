# WRONG: Dense(2, softmax) two-class head: output shape (batch, 2) instead of (batch, 1). Distinguishing: any input.

import course_utils  # noqa: F401
import keras

def build_model(vocab_size, embed_dim=16, units=16):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    x = keras.layers.GRU(units)(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
