"""ex06c, the caption decoder with the image as the GRU's initial state: the check's reference computes what Keras
layers wired by lesson 06's own decode_words compute, its inputs are lesson 06's batches of real captions, realistic
wrong answers are rejected (naming the cause where the check does), differently written right answers pass, and a
learner without the captions gets one line telling what to run."""

import keras
import numpy as np
import pytest

from course_utils.layers import recurrent_layer
from course_utils.lesson import definitions
from exercises import all_exercises
from exercises.checks import ex06c_caption_decoder as check
from exercises.runner import FAILED, PASSED, run_check

EXERCISE = next(e for e in all_exercises() if e.id == "ex06c")
F, E, U = check.FEATURES, check.EMBED, check.UNITS
MASK = ", mask=embedding.compute_mask(word_ids)"


@pytest.fixture(scope="module")
def cases(real_data):
    return check.real_cases()


def write_variant(folder, changes):
    text = EXERCISE.solution_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = EXERCISE.file_in(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def real_positions(word_ids):
    return (word_ids != 0)[:, :, None]


def test_the_inputs_are_lesson06_teacher_forcing_batches(cases):
    vocab_size, batches, other = cases
    start = definitions(check.LESSON).Vocab([]).start_id
    assert vocab_size == 3478  # lesson 06's vocabulary from the official training captions, min_count 3
    for _, features, word_ids in batches:
        assert features.dtype == np.float32 and features.shape == (len(word_ids), F) and (features >= 0).all()
        assert word_ids.dtype == np.int32 and (word_ids[:, 0] == start).all()
        for row in word_ids:  # padding only at the end
            real = int((row != 0).sum())
            assert (row[:real] != 0).all() and (row[real:] == 0).all()
    first, second, third = (w for _, _, w in batches)
    assert first.shape == (10, 17) and (first == 0).any(axis=1).all(), "every caption of the first batch is padded"
    assert (second == 0).any(axis=1).any() and not (second == 0).any(axis=1).all()
    assert third.shape[0] == 1 and (third != 0).all() and (third == 1).sum() == 2, "no padding, two [unk]"
    assert other.shape == batches[0][1].shape and not np.allclose(other, batches[0][1])


def lesson_decoder(vocab_size, cell=None):
    """Keras layers wired by lesson 06's initial_states and decode_words (spec.image == "inject"), without the
    extra hidden layer (an Identity here) and with no dropout."""
    lesson = definitions(check.LESSON)
    spec = lesson.Spec(vocab_size, (1, 1, F), "pretrained", "gru", U, E, "inject", False, 0.0)
    layers = {
        "init_0": keras.layers.Dense(U, activation="tanh", name="init_0"),
        "embedding": keras.layers.Embedding(vocab_size, E, mask_zero=True, name="embedding"),
        "word_dropout": keras.layers.Dropout(0.0),
        "decoder_rnn": cell or recurrent_layer("gru", U, return_sequences=True, return_state=True),
        "hidden": keras.layers.Identity(),
        "out_dropout": keras.layers.Dropout(0.0),
        "logits": keras.layers.Dense(vocab_size, name="logits"),
    }
    features = keras.Input((F,))
    words = keras.Input((None,), dtype="int32")
    states = lesson.initial_states(layers, spec, features)
    logits, _, _ = lesson.decode_words(layers, spec, words, states, features, None)
    return keras.Model([features, words], logits)


def test_the_reference_computes_lesson06s_inject_decoder(cases):
    vocab_size, batches, _ = cases
    keras.utils.set_random_seed(3)
    model = lesson_decoder(vocab_size)
    weights = check.decoder_weights(model, "lesson06", vocab_size)
    for case, features, word_ids in batches:
        got = keras.ops.convert_to_numpy(model([features, word_ids]))
        want = check.reference(weights, features, word_ids)
        real = real_positions(word_ids)
        # at the padded positions lesson 06's GRU gets no mask (see the next test); at the words they agree
        np.testing.assert_allclose(np.where(real, got, want), want, atol=1e-5, rtol=1e-4, err_msg=case)
        assert np.abs(want).max() > 1e-3  # not all near zero: a real comparison


def test_keras_gives_no_mask_to_a_gru_called_with_initial_state(cases):
    """What the docstring warns about: the Embedding's mask reaches a GRU called on it alone, but not one that is
    also given initial_state=; passing mask= explicitly restores it (the reference's masked=True)."""
    vocab_size, batches, _ = cases
    _, features, word_ids = batches[0]
    keras.utils.set_random_seed(4)
    embedding = keras.layers.Embedding(vocab_size, E, mask_zero=True)
    image, gru = keras.layers.Dense(U, activation="tanh"), keras.layers.GRU(U, return_sequences=True)
    out = keras.layers.Dense(vocab_size)
    words = embedding(word_ids)
    state = image(features)
    without = keras.ops.convert_to_numpy(out(gru(words, initial_state=state)))
    with_mask = keras.ops.convert_to_numpy(out(gru(words, initial_state=state, mask=embedding.compute_mask(word_ids))))
    weights = check.Weights(
        *(check.array(v) for v in (embedding.embeddings, image.kernel, image.bias)),
        *(check.array(v) for v in (gru.cell.kernel, gru.cell.recurrent_kernel, gru.cell.bias)),
        True,
        check.array(out.kernel),
        check.array(out.bias),
    )
    np.testing.assert_allclose(without, check.reference(weights, features, word_ids, masked=False), atol=1e-5)
    np.testing.assert_allclose(with_mask, check.reference(weights, features, word_ids), atol=1e-5)
    assert not np.allclose(without, with_mask, atol=1e-4)


def test_the_reference_follows_a_gru_without_reset_after(cases):
    vocab_size, batches, _ = cases
    keras.utils.set_random_seed(5)
    cell = keras.layers.RNN(keras.layers.GRUCell(U, reset_after=False), return_sequences=True, return_state=True)
    model = lesson_decoder(vocab_size, cell)
    weights = check.decoder_weights(model, "lesson06", vocab_size)
    assert weights.reset_after is False and weights.bias.shape == (3 * U,)
    _, features, word_ids = batches[2]  # no padding: lesson 06's wiring passes no mask, which changes nothing here
    got = keras.ops.convert_to_numpy(model([features, word_ids]))
    np.testing.assert_allclose(got, check.reference(weights, features, word_ids), atol=1e-5, rtol=1e-4)


# (what the wrong answer changes in the reference solution, phrases its verdict must contain)
WRONG = {
    "the GRU is called with initial_state= and gets no mask (the lesson's pattern)": (
        [(MASK, "")],
        ["not at the padded positions", "when the GRU reads the padding", "mask=embedding.compute_mask(word_ids)"],
    ),
    "no mask at all": (
        [(MASK, ""), ("mask_zero=True, ", "")],
        ["not at the padded positions", "when the GRU reads the padding"],
    ),
    "no return_sequences": ([("return_sequences=True, ", "")], ["no time axis", "return_sequences=True"]),
    "softmax on the logits": (
        [('Dense(vocab_size, name="logits")', 'Dense(vocab_size, activation="softmax", name="logits")')],
        ["probabilities, not logits", "a softmax"],
    ),
    "embed_dim and units swapped": (
        [
            ("Embedding(vocab_size, embed_dim,", "Embedding(vocab_size, units,"),
            ("GRU(units,", "GRU(embed_dim,"),
            ('Dense(units, activation="tanh"', 'Dense(embed_dim, activation="tanh"'),
        ],
        ["word vectors of size 10", "swapped"],
    ),
    "units hard-coded": (
        [("GRU(units,", "GRU(256,"), ('Dense(units, activation="tanh"', 'Dense(256, activation="tanh"')],
        ["the GRU has 256 units", "Use the arguments"],
    ),
    "embed_dim hard-coded": ([("Embedding(vocab_size, embed_dim,", "Embedding(vocab_size, 128,")], ["size 128"]),
    "the image is computed but not given to the GRU": (
        [("initial_state=state, ", "")],
        ["first word does not depend on the image", "nor anywhere else"],
    ),
    "relu on the image's Dense": (
        [('Dense(units, activation="tanh"', 'Dense(units, activation="relu"')],
        ["This is exactly what you get with relu on the image's Dense"],
    ),
    "no activation on the image's Dense": (
        [('Dense(units, activation="tanh", ', "Dense(units, ")],
        ["This is exactly what you get when the image's Dense has no activation"],
    ),
    "the inputs in the wrong order": (
        [("keras.Model([features, word_ids]", "keras.Model([word_ids, features]")],
        ["inputs are in the wrong order"],
    ),
    "one word id too many": (
        [("Embedding(vocab_size, embed_dim", "Embedding(vocab_size + 1, embed_dim")],
        ["input_dim=3479", "vocab_size (3478)"],
    ),
    "the image joined to every word": (
        [
            (
                "    words = embedding(word_ids)\n",
                "    words = embedding(word_ids)\n"
                "    image = keras.layers.Reshape((1, feature_dim))(features)\n"
                "    every_step = keras.ops.ones_like(words[:, :, :1]) * image\n"
                "    words = keras.layers.Concatenate()([words, every_step])\n",
            ),
            ("initial_state=state, ", ""),
        ],
        ["reads vectors of size 30", "joined the image to every word"],
    ),
    "the image fed in as a first word": (
        [
            (
                '    state = keras.layers.Dense(units, activation="tanh", name="initial_state")(features)\n',
                "    image_word = keras.layers.Reshape((1, embed_dim))(keras.layers.Dense(embed_dim)(features))\n",
            ),
            (
                "    words = embedding(word_ids)\n",
                "    words = keras.layers.Concatenate(axis=1)([image_word, embedding(word_ids)])\n",
            ),
            ("initial_state=state, mask=embedding.compute_mask(word_ids)", ""),
            ("(outputs)", "(outputs[:, 1:])"),
        ],
        ["is the image fed in as a word?"],
    ),
    "merge instead of inject": (
        [
            ("initial_state=state, ", ""),
            (
                'Dense(vocab_size, name="logits")(outputs)',
                'Dense(vocab_size, name="logits")(outputs + state[:, None, :])',
            ),
        ],
        ["This is exactly what you get when the image is added to the GRU's outputs (merge"],
    ),
    "an LSTM": (
        [("keras.layers.GRU(", "keras.layers.LSTM("), ("initial_state=state", "initial_state=[state, state]")],
        ["uses a LSTM layer", "keras.layers.GRU(units, return_sequences=True)"],
    ),
    "an extra hidden layer, as lesson 06 has": (
        [("(outputs)\n    return", '(keras.layers.Dense(units, activation="tanh")(outputs))\n    return')],
        ["weights the decoder does not have", "(10, 10)"],
    ),
}


@pytest.mark.parametrize("what", list(WRONG))
def test_a_wrong_answer_is_rejected(what, tmp_path, cases):
    changes, phrases = WRONG[what]
    outcome = run_check(EXERCISE, write_variant(tmp_path, changes))
    assert outcome.status == FAILED, outcome.message
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message


RIGHT = {
    "RNN(GRUCell) with the mask from keras.ops, no mask_zero": [
        (
            'keras.layers.GRU(units, return_sequences=True, name="decoder_rnn")',
            "keras.layers.RNN(keras.layers.GRUCell(units), return_sequences=True)",
        ),
        ("mask_zero=True, ", ""),
        (
            "initial_state=state, mask=embedding.compute_mask(word_ids)",
            "initial_state=[state], mask=keras.ops.not_equal(word_ids, 0)",
        ),
    ],
    "a subclassed keras.Model, the lesson's return_state=True": [
        (
            "    features = keras.Input(",
            """    class Decoder(keras.Model):
        def __init__(self):
            super().__init__()
            self.image = keras.layers.Dense(units, activation="tanh")
            self.embedding = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)
            self.rnn = keras.layers.GRU(units, return_sequences=True, return_state=True)
            self.logits = keras.layers.Dense(vocab_size)

        def call(self, inputs):
            features, word_ids = inputs
            words = self.embedding(word_ids)
            mask = keras.ops.not_equal(word_ids, 0)
            outputs, _ = self.rnn(words, initial_state=[self.image(features)], mask=mask)
            return self.logits(outputs)

    return Decoder()
    features = keras.Input(""",
        )
    ],
}


@pytest.mark.parametrize("what", list(RIGHT))
def test_another_right_answer_passes(what, tmp_path, cases):
    outcome = run_check(EXERCISE, write_variant(tmp_path, RIGHT[what]))
    assert outcome.status == PASSED, outcome.message


def test_without_the_captions_the_check_says_what_to_run(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    check.real_cases.cache_clear()
    try:
        outcome = run_check(EXERCISE, write_variant(tmp_path, []))
    finally:
        check.real_cases.cache_clear()
    assert outcome.status == FAILED and "\n" not in outcome.message
    assert "run `make lesson06` first" in outcome.message
    assert not (tmp_path / "data").exists() and not (tmp_path / "cache").exists(), "nothing downloaded"
