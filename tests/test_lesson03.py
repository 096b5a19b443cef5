"""Lesson 03: the lesson runs as a notebook (quick), writes every output, beats chance; the script path and predict."""

import json

import keras
import numpy as np
import pytest

from course_utils import tfds_source
from course_utils.lesson import definitions
from course_utils.runs import Run
from tests.helpers import lesson_main as main
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars
from tests.notebook import assert_every_code_cell_shows_something, execute_lesson, figures_shown, printed_text

LESSON = "lesson03_sentiment"
lesson = definitions(LESSON)
POSITIVE = "A wonderful, moving film. Brilliant acting, a beautiful story, I loved every minute of it. Great!"
NEGATIVE = "Terrible and boring. The worst movie I have ever seen, awful acting, a complete waste of time."


def run(argv):
    return main(LESSON, argv)


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson03"))


@pytest.fixture(scope="module")
def quick_run(notebook_run):
    return notebook_run[1]


def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    assert_every_code_cell_shows_something(notebook)
    assert figures_shown(notebook) >= 2, "training curves and confusion matrix drawn inline"
    text = printed_text(notebook)
    metrics = read_metrics(run_dir)
    assert f"Test accuracy (1,000 reviews): {metrics['test_accuracy']:.4f}" in text
    assert "Review length in words: median" in text and "One training batch: tokens (64, " in text
    assert "Total params" in text, "model.summary() is shown"
    assert "| p(positive) | true label |" in text


def test_quick_run_writes_every_output(quick_run):
    metrics = read_metrics(quick_run)
    assert metrics["quick"] is True and metrics["cell"] == "gru" and metrics["epochs"] == 2
    assert metrics["train_size"] + metrics["val_size"] == 3000 and metrics["test_size"] == 1000
    assert 250 <= metrics["val_size"] <= 400, "about a tenth of the training reviews, in whole movies"
    assert metrics["test_accuracy"] > 0.65, "the quick model should beat chance (0.5) clearly"
    assert metrics["baseline_test_accuracy"] > 0.65
    assert metrics["parameters"] > 0 and metrics["seconds_per_epoch"] > 0
    assert np.sum(metrics["confusion_matrix"]) == 1000
    for png in ("training_curves.png", "confusion_matrix.png"):
        assert_png(quick_run / png)
    assert "| p(positive) |" in (quick_run / "confidently_wrong.md").read_text()
    scalars = tensorboard_scalars(quick_run / "logs")
    epochs = metrics["epochs_run"]
    assert sorted(scalars["train/epoch_accuracy"]) == list(range(epochs))
    assert sorted(scalars["validation/epoch_accuracy"]) == list(range(epochs))
    assert any(tag.startswith("train/") and "histogram" not in tag for tag in scalars)


def test_metrics_record_the_whole_configuration(quick_run):
    record = json.loads((quick_run / "metrics.json").read_text())
    fields = lesson.Config.__dataclass_fields__
    assert set(fields) <= set(record), f"missing: {set(fields) - set(record)}"
    assert record["mask"] is True and record["learning_rate"] == 2e-3


def test_predict_orders_obvious_reviews(quick_run, capsys):
    model = str(quick_run / "model.keras")
    assert run(["predict", "--model", model, POSITIVE, NEGATIVE]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    probabilities = [float(line.split()[0]) for line in lines]
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert probabilities[0] > probabilities[1]


def test_predict_reads_a_file(quick_run, tmp_path, capsys):
    reviews = tmp_path / "reviews.txt"
    reviews.write_text(f"{POSITIVE}\n\n{NEGATIVE}\n")
    assert run(["predict", "--model", str(quick_run / "model.keras"), "--file", str(reviews)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_the_saved_model_masks_padding(quick_run):
    """Masking works end to end: the same review padded to different lengths scores the same."""
    import tensorflow as tf

    model = keras.models.load_model(quick_run / "model.keras")
    inner = model.layers[-1]
    tokens = keras.ops.convert_to_numpy(model.layers[1](tf.constant([[POSITIVE]])))
    length = int((tokens != 0).sum())
    short = inner(tokens[:, :length])
    padded = inner(np.pad(tokens[:, :length], ((0, 0), (0, 50))))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(short), keras.ops.convert_to_numpy(padded), atol=1e-5)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "--model", "MODEL", "   "], "empty"),
        (["predict", "--model", "/nonexistent/model.keras", "good"], "does not exist"),
        (["predict", "--model", "OTHER", "good"], "not by lesson03_sentiment"),
        (["--cell", "cnn"], "invalid choice"),
        (["--dropout", "1.5"], "expected a value in [0, 1)"),
        (["--seed", "4294967296"], "below 2**32"),
        (["compare", "--units", "0"], "expected a number above 0"),
    ],
)
def test_bad_input_gives_one_clear_line(quick_run, tmp_path, argv, message, capsys):
    other = Run.start("lesson01_rnn_from_scratch", run_dir=tmp_path / "other")  # a model another lesson saved
    other.save_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]))
    other = other.path
    argv = [
        str(quick_run / "model.keras") if a == "MODEL" else str(other / "model.keras") if a == "OTHER" else a
        for a in argv
    ]
    assert_one_line_error(run, argv, capsys, message)


def test_masked_max_pooling_ignores_padding():
    x = np.array([[[1.0, -2.0], [3.0, -1.0], [9.0, 9.0]]], dtype="float32")  # the last step is padding
    mask = np.array([[True, True, False]])
    pooled = keras.ops.convert_to_numpy(lesson.MaskedMaxPooling()(x, mask=mask))
    np.testing.assert_allclose(pooled, [[3.0, -1.0]])


def test_source_tfds_trains_with_a_random_validation_split(real_data, tmp_path, capsys):
    run_dir = tmp_path / "tfds"
    assert run(["--quick", "--source", "tfds", "--epochs", "1", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "tfds gives no movie ids: the validation reviews are drawn at random" in out
    assert "not comparable" in out and "| NBSVM-bigrams (Wang & Manning 2012) | 0.9122 |" in out
    metrics = read_metrics(run_dir)
    assert metrics["source"] == "tfds" and metrics["epochs_run"] == 1
    assert metrics["train_size"] + metrics["val_size"] == 3000 and metrics["test_size"] == 1000
    assert 250 <= metrics["val_size"] <= 350, "a tenth of the training reviews, drawn at random"
    assert metrics["test_accuracy"] > 0.6, "one quick epoch already beats chance (0.5)"


def test_a_tfds_subset_is_shuffled_and_class_balanced():
    texts, labels = [str(i) for i in range(100)], [0] * 80 + [1] * 20
    subset, subset_labels = tfds_source.shuffled_subset(texts, labels, 30, seed=1)
    assert len(subset) == 30 and subset_labels.sum() == 15
    assert all(labels[int(text)] == label for text, label in zip(subset, subset_labels))
    everything, _ = tfds_source.shuffled_subset(texts, labels, None, seed=1)
    assert sorted(everything) == sorted(texts) and everything != texts


def test_validation_holds_out_whole_movies(real_data):
    from course_utils.corpora import load_imdb

    texts, labels, movies = load_imdb("train", limit=3000, seed=3)
    assert len(texts) == len(labels) == len(movies) == 3000
    assert all(m.startswith("tt") for m in movies)
    assert len(set(movies)) < 3000, "some movies have several reviews, which is why the split is by movie"
    val = lesson.held_out_movies(movies, fraction=0.1, seed=3)
    assert 300 <= val.sum() <= 400
    assert not set(movies[val]) & set(movies[~val])


def test_word_dropout_hides_words_only_while_training():
    tokens = np.tile(np.array([[5, 6, 7, 8, 9, 10, 11, 12, 0, 0]], dtype="int32"), (400, 1))
    layer = lesson.WordDropout(0.25, seed=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(tokens)), tokens)
    dropped = keras.ops.convert_to_numpy(layer(tokens, training=True))
    changed = dropped != tokens
    assert np.all(dropped[changed] == 1), "a dropped word becomes the unknown-word id"
    assert not changed[:, 8:].any(), "padding stays padding, so the mask is unchanged"
    assert 0.2 < changed[:, :8].mean() < 0.3
    restored = lesson.WordDropout.from_config(layer.get_config())
    assert restored.rate == 0.25


def test_the_model_follows_the_configuration():
    config = lesson.Config(cell="lstm", bidirectional=True, layers=2, pooling="max", units=8, embedding_dim=6)
    model = lesson.build_model(100, config)
    names = [layer.name for layer in model.layers]
    assert "bidirectional_1" in names and "bidirectional_2" in names and "max_over_time" in names
    assert model.get_layer("embedding").output_dim == 6
    assert isinstance(model.get_layer("bidirectional_1").forward_layer, keras.layers.LSTM)
    assert model.get_layer("bidirectional_2").forward_layer.units == 8


def test_lr_decay_lowers_adams_step_along_a_cosine_to_five_percent():
    assert lesson.adam_step(lesson.Config(), steps_per_epoch=100) == pytest.approx(2e-3)  # constant by default
    schedule = lesson.adam_step(lesson.Config(lr_decay=True, epochs=4), steps_per_epoch=100)
    steps = [0, 200, 400, 500]
    rates = [float(keras.ops.convert_to_numpy(schedule(step))) for step in steps]
    assert rates == pytest.approx([2e-3, 2e-3 * (0.05 + 0.95 * 0.5), 2e-3 * 0.05, 2e-3 * 0.05], rel=1e-4)
