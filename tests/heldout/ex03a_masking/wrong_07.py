# WRONG: ignores embed_dim and units (hard-coded 16 = the defaults seen in the signature). Distinguishing: build_model(100, embed_dim=8, units=4): weight shapes differ.

import course_utils  # noqa: F401
import keras

def build_model(vocab_size, embed_dim=16, units=16):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, 16, mask_zero=True)(inputs)
    x = keras.layers.GRU(16)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
