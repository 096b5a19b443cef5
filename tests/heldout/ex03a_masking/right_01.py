# RIGHT: keras.Sequential with an LSTM, compiled.

import course_utils  # noqa: F401
import keras

def build_model(vocab_size, embed_dim=16, units=16):
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int64"),
        keras.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim, mask_zero=True),
        keras.layers.LSTM(units),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model
