# WRONG: mask_zero left at its default False, so padding steps are read. Distinguishing: [[5,6,0,0]] vs [[5,6]] give different outputs.

import course_utils  # noqa: F401
import keras

def build_model(vocab_size, embed_dim=16, units=16):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim)(inputs)
    x = keras.layers.GRU(units)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
