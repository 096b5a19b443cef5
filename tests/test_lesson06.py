"""Lesson 06: the lesson runs as a notebook (quick) and its model beats the baseline caption; the loader with
missing photos, reading odd images, BLEU, the step decoder, decoding shared with lesson 05, the offline
pretrained path, predict and one-line errors."""

import json
import math
import os
import re
import shutil
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import CourseError, pretrained
from course_utils.lesson import definitions
from tests.helpers import lesson_main as main
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars
from tests.notebook import assert_every_code_cell_shows_something, execute_lesson, figures_shown, printed_text

LESSON = "lesson06_captioning"
lesson = definitions(LESSON)
FLICKR = "flickr8k"


def run(argv):
    return main(LESSON, argv)


def write_png(path, pixels):
    path.write_bytes(tf.io.encode_png(tf.constant(pixels, dtype=tf.uint8)).numpy())
    return path


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson06"))


@pytest.fixture(scope="module")
def quick_run(notebook_run):
    return notebook_run[1]


def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    assert_every_code_cell_shows_something(notebook)
    assert figures_shown(notebook) >= 3, "the example photo, the loss curves and captions.png drawn inline"
    text = printed_text(notebook)
    metrics = read_metrics(run_dir)
    assert "Flickr8k: found" in text and "this run uses 250 train, 50 dev, 75 test photos" in text
    assert "The first caption of the photo above:" in text and "as ids:        [2, " in text
    assert "One batch: image (16, 48, 48, 3), words (16, 5, 17), targets (16, 5, 17)" in text
    assert "Total params" in text, "model.summary() is shown"
    assert "untrained model:" in text
    assert "Epoch 1/10" in text
    samples = re.findall(r"^  \S+\.jpg: .+$", text, flags=re.MULTILINE)
    assert len(samples) == 4 * metrics["epochs_run"], "greedy captions of four validation photos after each epoch"
    beam_row = "| beam 3 | " + " | ".join(f"{metrics[f'bleu{n}']:.3f}" for n in range(1, 5)) + " |"
    baseline_row = "| baseline | " + " | ".join(f"{metrics[f'baseline_bleu{n}']:.3f}" for n in range(1, 5)) + " |"
    assert beam_row in text and baseline_row in text, "the BLEU table shows the numbers metrics.json records"
    assert f"{metrics['distinct_captions']} different captions for 75 test photos" in text
    assert "| photo | beam | greedy | a reference |" in text
    assert "kept as: a child in a pink dress is climbing up a set of stairs in an entry way" in text
    assert "The reloaded model writes the same greedy caption for 75 of the 75 test photos" in text


def test_quick_run_writes_every_output(quick_run):
    metrics = read_metrics(quick_run)
    assert metrics["quick"] is True and metrics["epochs"] == 10 and metrics["units"] == 96
    assert metrics["photos"] == {"train": 250, "dev": 50, "test": 75}
    assert metrics["baseline_caption"] == "a dog runs through the grass"
    for name in ("captions.png", "loss.png", "example_photo.png"):
        assert_png(quick_run / name)
    assert not (quick_run / "attention.png").exists(), "the default model has no attention"
    settings = json.loads((quick_run / lesson.SETTINGS_FILE).read_text())
    assert len(settings["words"]) + 4 == metrics["vocab"] and settings["image_size"] == 48
    tags = tensorboard_scalars(quick_run / "logs")
    assert tags["lesson/captions/dev"] == list(range(metrics["epochs_run"]))  # sample captions each epoch
    assert "lesson/test_bleu4/baseline" in tags and "lesson/test_bleu4/beam_3" in tags
    assert sorted(tags["validation/epoch_loss"]) == list(range(metrics["epochs_run"]))


def test_the_quick_model_learns_and_beats_the_baseline_caption(quick_run):
    metrics = read_metrics(quick_run)
    uniform = math.log(metrics["vocab"])  # the loss of a uniform guess over the vocabulary
    assert metrics["val_loss"] < uniform - 2, (metrics["val_loss"], uniform)
    assert metrics["history"]["val_loss"][-1] < metrics["history"]["val_loss"][0]
    # even ten quick epochs on 250 photos write captions closer to the references than one fixed caption
    for n in range(1, 5):
        assert metrics[f"bleu{n}"] > metrics[f"baseline_bleu{n}"], n
        assert metrics[f"greedy_bleu{n}"] > metrics[f"baseline_bleu{n}"], n
    # beam search finds captions the model finds at least as likely as greedy's (what it optimises, not BLEU)
    assert metrics["beam_log_prob"] >= metrics["greedy_log_prob"] - 1e-6
    assert metrics["distinct_captions"] >= 1


def test_metrics_record_the_whole_configuration(quick_run):
    record = json.loads((quick_run / "metrics.json").read_text())
    fields = lesson.Config.__dataclass_fields__
    assert set(fields) <= set(record), f"missing: {set(fields) - set(record)}"
    assert record["image"] == "merge" and record["encoder"] == "scratch" and record["beam"] == 3


def test_predict_captions_photos_of_any_format(quick_run, real_data, tmp_path, capsys):
    photo = real_data / FLICKR / "Flicker8k_Dataset" / "1000268201_693b08cb0e.jpg"
    gray = write_png(tmp_path / "gray.png", np.full((50, 60, 1), 120))
    rgba = write_png(tmp_path / "rgba.png", np.full((50, 60, 4), 200))
    model = str(quick_run / "model.keras")
    assert run(["predict", "--model", model, str(photo), str(gray), str(rgba)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[-3:]] == [str(photo), str(gray), str(rgba)]
    assert all(len(line.split(": ", 1)[1].split()) >= 1 for line in lines[-3:])
    assert run(["predict", "--model", model, "--beam", "1", str(photo)]) == 0
    assert capsys.readouterr().out.strip().startswith(f"{photo}: ")
    (tmp_path / "notes.jpg").write_text("hello")
    assert_one_line_error(run, ["predict", "--model", model, str(tmp_path / "notes.jpg")], capsys, "not an image")
    assert_one_line_error(run, ["predict", "--model", model, str(tmp_path / "no.jpg")], capsys, "no such file")
    assert_one_line_error(run, ["predict", "--model", model], capsys, "give at least one photo")
    assert_one_line_error(run, ["predict", "--model", model, "--beam", "0", str(photo)], capsys, "above 0")


def test_predict_without_a_trained_model_is_one_line(tmp_path, capsys):
    assert_one_line_error(run, ["predict", "--model", str(tmp_path / "none.keras"), "x.jpg"], capsys, "does not exist")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--encoder", "imagenet"], "invalid choice"),
        (["--cell", "cnn"], "invalid choice"),
        (["--beam", "0"], "expected a number above 0"),
        (["--dropout", "1"], "expected a value in [0, 1)"),
        (["--max-photos", "-1"], "expected 0 or more"),
    ],
)
def test_bad_flags_give_one_clear_line(argv, message, capsys):
    assert_one_line_error(run, argv, capsys, message)


def test_loader_keeps_only_photos_on_disk_and_says_how_many(real_data, tmp_path, capsys):
    text_dir = real_data / FLICKR / "Flickr8k_text"
    all_images = real_data / FLICKR / "Flicker8k_Dataset"
    full = lesson.load_flickr8k(text_dir, all_images)
    assert "found 991 of the split's photos" in capsys.readouterr().out  # 753 + 113 + 125 on this machine
    assert len(full.captions) == 8091 and all(len(c) == 5 for c in full.captions.values())
    chosen = {"train": full.splits["train"][:3], "dev": full.splits["dev"][:2], "test": full.splits["test"][:1]}
    subset = tmp_path / "images"
    subset.mkdir()
    for names in chosen.values():
        for name in names:
            shutil.copy(all_images / name, subset / name)
    (subset / "notes.txt").write_text("not a photo")
    data = lesson.load_flickr8k(text_dir, subset)
    assert data.splits == chosen
    assert "(train 3/6,000, dev 2/1,000, test 1/1,000)" in capsys.readouterr().out
    (subset / chosen["test"][0]).unlink()
    with pytest.raises(CourseError, match="none of the test photos"):
        lesson.load_flickr8k(text_dir, subset)


def test_read_image_handles_grayscale_rgba_gif_and_bad_files(tmp_path):
    gray = write_png(tmp_path / "gray.png", np.full((30, 40, 1), 200))
    rgba = write_png(tmp_path / "rgba.png", np.dstack([np.full((20, 20, 3), 90), np.full((20, 20, 1), 10)]))
    gif = tmp_path / "one.gif"
    gif.write_bytes(
        bytes.fromhex("47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b")
    )
    for path in (gray, rgba, gif):
        image = lesson.read_image(path, 32)
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert (lesson.read_image(gray, 8) == 200).all()  # gray copied into R, G and B
    assert (lesson.read_image(rgba, 8) == 90).all()  # alpha dropped, colour kept
    (tmp_path / "notes.jpg").write_text("this is text, not a JPEG")
    with pytest.raises(CourseError, match="not an image"):
        lesson.read_image(tmp_path / "notes.jpg", 32)
    with pytest.raises(CourseError, match="no such file"):
        lesson.read_image(tmp_path / "missing.jpg", 32)


def test_the_cache_is_written_once_and_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def compute():
        calls.append(1)
        return np.arange(6, dtype="uint8").reshape(2, 3)

    first = lesson.cached("toy", ["a.jpg", "b.jpg"], tmp_path, compute)
    again = lesson.cached("toy", ["a.jpg", "b.jpg"], tmp_path, compute)
    np.testing.assert_array_equal(first, again)
    assert len(calls) == 1
    files = [p.name for p in (tmp_path / "cache" / "lesson06").iterdir()]
    assert len(files) == 1 and files[0].startswith("toy-") and files[0].endswith(".npy"), files  # no temporary left


def test_bleu_is_corpus_level_against_all_references():
    hyps = ["a dog runs on grass", "a man rides a bike"]
    refs = [["a dog runs on the grass", "the dog runs"], ["a man rides a red bike", "a person on a bicycle"]]
    # by hand: 1-grams 5+5 of 10, 2-grams 3+3 of 8, 3-grams 2+2 of 6, 4-grams 1+1 of 4;
    # closest reference lengths: 6 (1 away, 3 is 2 away) and 5 (exact) -> r = 11 > c = 10
    bp = np.exp(1 - 11 / 10)
    precisions = [10 / 10, 6 / 8, 4 / 6, 2 / 4]
    scores = lesson.bleu_scores(hyps, refs)
    for n in range(1, 5):
        assert scores[f"bleu{n}"] == pytest.approx(bp * np.exp(np.mean(np.log(precisions[:n]))), abs=1e-4)
    assert lesson.bleu_scores(["a b c d"], [["a b c d"]])["bleu4"] == pytest.approx(1.0)


def tiny_vocab():
    return lesson.Vocab(["a", "dog", "runs", "on", "grass", "man"])


@pytest.mark.parametrize(
    "cell,image,attention", [("gru", "merge", True), ("lstm", "inject", False), ("rnn", "merge", False)]
)
def test_step_decoder_gives_the_training_models_scores(cell, image, attention):
    """Teacher-forced logits of the training model == the one-word step model's, word by word."""
    keras.utils.set_random_seed(0)
    vocab = tiny_vocab()
    spec = lesson.Spec(len(vocab.words), (32, 32, 3), "scratch", cell, 8, 4, image, attention)
    model = lesson.training_model(spec)
    assert isinstance(
        model.get_layer("decoder_rnn"),
        {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM, "rnn": keras.layers.SimpleRNN}[cell],
    )
    photos = np.random.default_rng(0).integers(0, 255, size=(2, 32, 32, 3)).astype("float32")
    captions = ["a dog runs on grass", "a man", "dog", "a a a", "grass", "man runs", "a", "on", "dog dog", "a man"]
    tokens = vocab.encode(captions, 6).reshape(2, lesson.CAPTIONS, -1)
    full = keras.ops.convert_to_numpy(model({"image": photos, "words": tokens[:, :, :-1]}, training=False))
    captioner = lesson.Captioner(model, spec, vocab)
    for c in range(lesson.CAPTIONS):
        state = captioner.start(photos)
        for t in range(tokens.shape[2] - 1):
            log_probs, state = captioner.step(tokens[:, c, t], state)
            logits = full[:, c, t].astype("float64")
            logits[:, [0, 1, vocab.start_id]] = -np.inf
            expected = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True))
            expected -= logits.max(-1, keepdims=True)
            real = tokens[:, c, t] > 0
            np.testing.assert_allclose(log_probs[real], expected[real], atol=1e-4)


def test_decoding_is_the_code_lesson05_uses():
    lesson05 = definitions("lesson05_translation")
    assert lesson.decode is lesson05.decode and lesson.next_token_log_probs is lesson05.next_token_log_probs
    keras.utils.set_random_seed(1)
    vocab = tiny_vocab()
    spec = lesson.Spec(len(vocab.words), (32, 32, 3), "scratch", "gru", 8, 4, "merge", False)
    captioner = lesson.Captioner(lesson.training_model(spec), spec, vocab, max_words=6)
    photos = np.random.default_rng(1).integers(0, 255, size=(3, 32, 32, 3))
    greedy = lesson05.greedy_search(
        captioner.step,
        captioner.start(photos),
        batch_size=3,
        start_id=vocab.start_id,
        end_id=vocab.end_id,
        max_length=7,
    )
    assert captioner.caption_ids(photos, beam=1) == greedy.tokens
    assert captioner.caption_ids(photos, beam=1) == captioner.caption_ids(photos.astype("float32"), beam=1)
    captions, log_probs = captioner.write(photos, beam=1)
    assert captions == [vocab.decode(t) for t in greedy.tokens]
    np.testing.assert_allclose(log_probs, greedy.log_probs)
    assert all(len(t) <= 7 for t in captioner.caption_ids(photos, beam=3))


def test_pretrained_encoder_fails_fast_offline_or_loads():
    t0 = time.time()
    try:
        network = pretrained.imagenet_encoder()
    except CourseError as err:
        assert "~/.keras/models" in str(err) and "--encoder scratch" in str(err)
        assert len(str(err).splitlines()) == 1
    else:  # a machine that has (or can download) the weights
        assert network.output_shape == (None, 7, 7, 1280)
    assert time.time() - t0 < 60


@pytest.mark.skipif(os.environ.get("COURSE_SKIP_SLOW") == "1", reason="slow")
def test_pretrained_path_end_to_end_with_random_weights(real_data, tmp_path, monkeypatch, capsys):
    """The feature-caching path with attention, run offline with an untrained EfficientNetB0 on a few photos
    (COURSE_IMAGENET_WEIGHTS=none), then predict with the model it saved."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(pretrained.WEIGHTS_VARIABLE, "none")
    run_dir = tmp_path / "run"
    argv = ["--quick", "--encoder", "pretrained", "--attention", "--epochs", "1"]
    assert run([*argv, "--max-photos", "12", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    # one line of our own per step, and no progress bar (ours or Keras') in the logs
    assert "Decoding 12 photos at 224x224 (cached for next time)" in lines
    assert "Computing efficientnetb0 features of 12 photos (cached)" in lines
    assert "\r" not in out and "\b" not in out and "%|" not in out
    assert json.loads((run_dir / lesson.SETTINGS_FILE).read_text())["imagenet_weights"] == "none"
    metrics = read_metrics(run_dir)
    assert metrics["encoder"] == "pretrained" and metrics["attention"] is True and metrics["photos"]["train"] == 12
    assert metrics["epochs_run"] == 1, "--epochs given explicitly wins over the quick configuration's 10"
    assert list((tmp_path / "cache" / "lesson06").glob("efficientnetb0-none-grid-*.npy"))
    assert_png(run_dir / "attention.png")
    photo = real_data / FLICKR / "Flicker8k_Dataset" / "1000268201_693b08cb0e.jpg"
    assert run(["predict", "--model", str(run_dir / "model.keras"), str(photo)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith(f"{photo}: ")
