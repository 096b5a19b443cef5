# WRONG: a Masking() layer after the Embedding instead of mask_zero: embedding vectors of id 0 are not all-zero, so nothing is masked. Distinguishing: [[5,6,0,0]] vs [[5,6]].

import course_utils  # noqa: F401
import keras

def build_model(vocab_size, embed_dim=16, units=16):
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, embed_dim)(inputs)
    x = keras.layers.Masking(mask_value=0.0)(x)
    x = keras.layers.GRU(units)(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))
