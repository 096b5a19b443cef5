# WRONG: fixed input length keras.Input(shape=(200,)), copying lesson 03's padded length; any other time length fails. Distinguishing: input of shape (1, 7).

import course_utils  # noqa: F401
import keras

def build_model(vocab_size, embed_dim=16, units=16):
    inputs = keras.Input(shape=(200,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    x = keras.layers.GRU(units)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
