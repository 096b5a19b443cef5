"""ex03c, lesson 03's masked max pooling written with keras.ops: the check's reference equals lesson 03's own
MaskedMaxPooling (alone on the hand-made cases, and inside lesson 03's build_model with pooling="max" on the
check's batches of real IMDB reviews); the real batches need the mask where the check says they do; realistic
wrong answers are rejected (with the cause where the check names one), right answers written differently pass,
and a machine without IMDB gets one line telling the learner to run make lesson03."""

import keras
import numpy as np
import pytest

from course_utils import data
from course_utils.lesson import definitions
from exercises import all_exercises
from exercises.checking import same_result
from exercises.checks import ex03c_masked_max_pooling as check
from exercises.runner import ERROR, FAILED, NOT_DONE, PASSED, run_check
from tests.conftest import data_required

EXERCISE = next(e for e in all_exercises() if e.id == "ex03c")
LESSON = "lesson03_sentiment"
NAMED = "This is exactly what you get"
SOLUTION = """    if mask is not None:
        real = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)  # (batch, time, 1)
        outputs = keras.ops.where(real, outputs, keras.ops.full_like(outputs, PADDING_VALUE))
    return keras.ops.max(outputs, axis=1)
"""


@pytest.fixture(scope="module")
def reviews(real_data):
    if not data.on_disk("imdb"):
        message = f"IMDB is not under {real_data}"
        if data_required():
            pytest.fail(message)
        pytest.skip(message)
    return check.real_reviews()


@pytest.fixture(scope="module")
def real_cases(reviews):
    return check.real_cases(reviews)


def write_variant(folder, body=None, text=None):
    """The reference solution with masked_max's body replaced by ``body`` (or the whole file ``text``)."""
    if text is None:
        text = EXERCISE.solution_text()
        assert SOLUTION in text, "the reference solution changed; update SOLUTION"
        text = text.replace(SOLUTION, body)
    path = EXERCISE.file_in(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def numpy(value):
    return keras.ops.convert_to_numpy(value)


# ------------------------------------------------------------------ the reference is lesson 03's layer
def test_the_stubs_padding_value_is_the_lessons():
    layer = definitions(LESSON).MaskedMaxPooling()
    only_padding = numpy(layer(np.ones((1, 3, 2), "float32"), mask=np.zeros((1, 3), bool)))
    assert np.array_equal(only_padding, [[check.FILL, check.FILL]]) and check.FILL == -1e9
    assert "PADDING_VALUE = -1e9" in EXERCISE.stub_text()


def test_reference_equals_lesson03s_layer_on_the_hand_made_cases():
    layer = definitions(LESSON).MaskedMaxPooling()
    for case, outputs, mask, _ in check.hand_made_cases():
        got = numpy(layer(outputs) if mask is None else layer(outputs, mask=mask))
        assert np.array_equal(got, check.reference(outputs, mask)), case
    # every named mistake gives another answer on some case (so that each of them can be named)
    for text, options in check.MISTAKES.items():
        assert any(
            not same_result(check.reference(outputs, mask, **options), check.reference(outputs, mask))
            for _, outputs, mask, _ in check.hand_made_cases()
        ), text


@pytest.fixture(scope="module")
def lesson_model():
    """Lesson 03's own model with pooling="max" (its build_model, as `make lesson03 ARGS="--pooling max"` builds
    it), with the check's weights; its outputs: the GRU's at every step, the pooled vectors and P(positive)."""
    lesson = definitions(LESSON)
    config = lesson.Config(cell="gru", embedding_dim=check.EMBED, units=check.UNITS, pooling="max")
    with keras.device("cpu"):
        model = lesson.build_model(check.VOCAB, config)
        weights = check.seeded_weights()
        assert [w.shape for w in model.get_weights()] == [w.shape for w in weights]
        model.set_weights(weights)
        layers = [model.get_layer("gru_1").output, model.get_layer("max_over_time").output, model.output]
        return keras.Model(model.inputs, layers)


def test_reference_equals_lesson03s_max_pooling_model_on_the_real_batches(real_cases, lesson_model):
    model = lesson_model
    ours = check.build_model(lambda x, mask: definitions(LESSON).MaskedMaxPooling()(x, mask=mask), "none")
    for case, token_ids in real_cases:
        assert token_ids.dtype == np.int32 and token_ids.shape[0] >= 3, case
        with keras.device("cpu"):
            steps, pooled, probability = (numpy(v) for v in model(token_ids, training=False))
        expected = check.reference(steps, token_ids != 0)
        assert np.array_equal(pooled, expected), case
        logits = expected @ check.seeded_weights()[4] + check.seeded_weights()[5]
        assert np.allclose(probability, 0.5 * (1 + np.tanh(logits / 2)), atol=1e-6), case
        # the check's own model is lesson 03's: the same GRU outputs and the same pooled vectors
        our_steps, our_pooled, our_probability = (numpy(v) for v in check.run_model(ours, token_ids, None, "none"))
        assert np.allclose(our_steps, steps, atol=1e-6) and np.allclose(our_pooled, pooled, atol=1e-6), case
        assert np.allclose(our_probability, probability, atol=1e-6), case


def test_the_real_batches_need_the_mask_where_the_check_says(real_cases, lesson_model):
    """Keras repeats a review's last output at the padded steps after it: there the max over every step is already
    right (so the hand-made cases put big values in the padding); padding at the front (outputs 0) and a row of
    only padding tell a missing mask and a multiplied one apart from the reference."""
    model = lesson_model
    no_mask, multiplied = list(check.MISTAKES)[:2]
    differs = []
    for case, token_ids in real_cases:
        with keras.device("cpu"):
            steps = numpy(model(token_ids, training=False)[0])
        expected = check.reference(steps, token_ids != 0)
        differs.append(
            {
                name: not np.allclose(check.reference(steps, token_ids != 0, **check.MISTAKES[name]), expected)
                for name in (no_mask, multiplied)
            }
        )
        if "at the end" in case:
            for row, length in enumerate((token_ids != 0).sum(axis=1)):
                assert (steps[row, length:] == steps[row, length - 1]).all(), case
            assert not differs[-1][no_mask], case
    first, more, front, alone = differs
    assert first[multiplied] and more[multiplied], "some unit is negative along a whole real review"
    assert front[no_mask] and front[multiplied] and alone[no_mask] and alone[multiplied]


# ------------------------------------------------------------------ wrong answers are rejected
WRONG = [
    ("no mask", "    return keras.ops.max(outputs, axis=1)\n", FAILED, [NAMED, "padding included"]),
    (
        "multiplied by the mask",
        "    if mask is not None:\n"
        "        outputs = outputs * keras.ops.cast(mask, outputs.dtype)[:, :, None]\n"
        "    return keras.ops.max(outputs, axis=1)\n",
        FAILED,
        [NAMED, "multiplying the outputs by the mask", "review 0, unit 1"],
    ),
    (
        "a bool mask multiplied with *",
        "    if mask is not None:\n"
        "        outputs = outputs * mask[:, :, None]\n"
        "    return keras.ops.max(outputs, axis=1)\n",
        FAILED,
        ["returned bools"],
    ),
    (
        "max over the units",
        SOLUTION.replace("axis=1", "axis=-1"),
        FAILED,
        ["units axis", "expected (3, 4), got (3, 6)"],
    ),
    ("max over the batch", SOLUTION.replace("axis=1", "axis=0"), FAILED, ["batch axis (axis=0)"]),
    ("keepdims", SOLUTION.replace("axis=1)", "axis=1, keepdims=True)"), FAILED, ["keepdims=True", "(3, 1, 4)"]),
    (
        "the mean of the real steps",
        "    if mask is None:\n"
        "        return keras.ops.mean(outputs, axis=1)\n"
        "    m = keras.ops.cast(mask, outputs.dtype)[:, :, None]\n"
        "    return keras.ops.sum(outputs * m, axis=1) / keras.ops.sum(m, axis=1)\n",
        FAILED,
        [NAMED, "averaging the real steps"],
    ),
    (
        "~mask on an int mask",
        "    if mask is not None:\n"
        "        outputs = keras.ops.where(~mask[..., None], PADDING_VALUE, outputs)\n"
        "    return keras.ops.max(outputs, axis=1)\n",
        FAILED,
        ["#3", "mask of ints", "1 and 0 must mean the same"],
    ),
    ("-inf", SOLUTION.replace("PADDING_VALUE))", 'float("-inf")))'), FAILED, [NAMED, "with -inf", "review 1"]),
    ("another fill", SOLUTION.replace("PADDING_VALUE))", "-3.4e38))"), FAILED, ["with -3.4e+38", "(-1e9)"]),
    ("mask inverted", SOLUTION.replace("where(real,", "where(~real,"), FAILED, [NAMED, "the wrong way round"]),
    (
        "numpy",
        "    import numpy as np\n"
        "    outputs = np.asarray(outputs)\n"
        "    if mask is not None:\n"
        "        outputs = np.where(np.asarray(mask)[..., None] != 0, outputs, PADDING_VALUE)\n"
        "    return outputs.max(axis=1)\n",
        FAILED,
        ["building the model", "outputs = np.asarray(outputs)", "NumPy cannot compute with"],
    ),
    (
        "tensorflow",
        "    import tensorflow as tf\n"
        "    if mask is not None:\n"
        "        outputs = tf.where(tf.cast(mask, tf.bool)[..., None], outputs, PADDING_VALUE)\n"
        "    return tf.reduce_max(outputs, axis=1)\n",
        FAILED,
        ["uses TensorFlow", "every backend"],
    ),
    (
        "a Python if on the mask's values",
        "    if mask is None or bool(keras.ops.all(keras.ops.cast(mask, 'bool'))):\n"
        "        return keras.ops.max(outputs, axis=1)\n" + SOLUTION,
        FAILED,
        ["building the model", "symbolic tensors"],
    ),
    (
        "no case for mask=None",
        '    real = keras.ops.expand_dims(keras.ops.cast(mask, "bool"), -1)\n'
        "    return keras.ops.max(keras.ops.where(real, outputs, PADDING_VALUE), axis=1)\n",
        ERROR,
        ["mask=None", "line"],
    ),
    (
        "the mask without a units axis",
        "    if mask is not None:\n"
        "        outputs = keras.ops.where(keras.ops.cast(mask, 'bool'), outputs, PADDING_VALUE)\n"
        "    return keras.ops.max(outputs, axis=1)\n",
        ERROR,
        ["#1", "keras.ops.where"],
    ),
]


@pytest.mark.parametrize("body, status, phrases", [w[1:] for w in WRONG], ids=[w[0] for w in WRONG])
def test_wrong_answer_is_rejected(tmp_path, body, status, phrases):
    outcome = run_check(EXERCISE, write_variant(tmp_path, body))
    assert outcome.status == status, outcome.message
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message


# ------------------------------------------------------------------ right answers written differently pass
RIGHT = [
    (
        "adds (mask - 1) * 1e9",
        "    if mask is None:\n"
        "        return keras.ops.max(outputs, axis=1)\n"
        "    real = keras.ops.cast(keras.ops.not_equal(mask, 0), outputs.dtype)\n"
        "    return keras.ops.max(outputs + (keras.ops.expand_dims(real, 2) - 1.0) * -PADDING_VALUE, axis=1)\n",
    ),
    (
        "mixes with the mask as floats",
        "    ones = keras.ops.ones_like(outputs[:, :, :1])\n"
        "    m = ones if mask is None else keras.ops.cast(mask, outputs.dtype)[..., None]\n"
        "    filled = outputs * m + PADDING_VALUE * (1.0 - m)\n"
        "    return keras.ops.max(filled, axis=-2)\n",
    ),
]


@pytest.mark.parametrize("body", [r[1] for r in RIGHT], ids=[r[0] for r in RIGHT])
def test_right_answers_written_differently_pass(reviews, tmp_path, body):
    outcome = run_check(EXERCISE, write_variant(tmp_path, body))
    assert outcome.status == PASSED, outcome.message


# ------------------------------------------------------------------ without IMDB
def test_without_imdb_the_check_says_run_make_lesson03_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "no_data"))
    outcome = run_check(EXERCISE, write_variant(tmp_path, text=EXERCISE.solution_text()))
    assert outcome.status == FAILED and "run `make lesson03` first" in outcome.message, outcome.message
    assert "\n" not in outcome.message and not (tmp_path / "no_data").exists()  # nothing downloaded


def test_the_stub_is_reported_before_imdb_is_read(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "no_data"))
    outcome = run_check(EXERCISE, write_variant(tmp_path, text=EXERCISE.stub_text()))
    assert outcome.status == NOT_DONE and "masked_max" in outcome.message, outcome.message
