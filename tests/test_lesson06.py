"""Lesson 06: the loader with missing photos, reading odd images, BLEU, the step decoder,
decoding shared with lesson 05, the offline pretrained path, a quick run and predict."""

import os
import shutil
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import CourseError, decoding
from lessons import lesson05_translation, lesson06_captioning as lesson
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars

FLICKR = "flickr8k"


def write_png(path, pixels):
    path.write_bytes(tf.io.encode_png(tf.constant(pixels, dtype=tf.uint8)).numpy())
    return path


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
    assert lesson.decode is decoding.decode is lesson05_translation.decode
    keras.utils.set_random_seed(1)
    vocab = tiny_vocab()
    spec = lesson.Spec(len(vocab.words), (32, 32, 3), "scratch", "gru", 8, 4, "merge", False)
    captioner = lesson.Captioner(lesson.training_model(spec), spec, vocab, max_words=6)
    photos = np.random.default_rng(1).integers(0, 255, size=(3, 32, 32, 3))
    greedy = decoding.greedy_search(
        captioner.step,
        captioner.start(photos),
        batch_size=3,
        start_id=vocab.start_id,
        end_id=vocab.end_id,
        max_length=7,
    )
    assert captioner.caption_ids(photos, beam=1) == greedy.tokens
    assert captioner.caption_ids(photos, beam=1) == captioner.caption_ids(photos.astype("float32"), beam=1)
    assert all(len(t) <= 7 for t in captioner.caption_ids(photos, beam=3))


def test_pretrained_encoder_fails_fast_offline_or_loads():
    t0 = time.time()
    try:
        network = lesson.imagenet_encoder()
    except CourseError as err:
        assert "~/.keras/models" in str(err) and "--encoder scratch" in str(err)
        assert len(str(err).splitlines()) == 1
    else:  # a machine that has (or can download) the weights
        assert network.output_shape == (None, 7, 7, 1280)
    assert time.time() - t0 < 60


def test_quick_run_then_predict(real_data, tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert lesson.run(["--quick", "--run-dir", str(run_dir)]) == 0
    metrics = read_metrics(run_dir)
    assert metrics["photos"] == {"train": 250, "dev": 50, "test": 75}
    assert metrics["baseline_caption"] == "a dog runs through the grass"
    assert all(0 <= metrics[f"{k}bleu{n}"] <= 1 for k in ("", "greedy_", "baseline_") for n in range(1, 5))
    assert metrics["bleu1"] > 0.2  # even ten quick epochs write caption-like English
    for name in ("captions.png", "loss.png"):
        assert_png(run_dir / name)
    tags = tensorboard_scalars(run_dir / "logs")
    assert tags["lesson/captions/dev"] == list(range(metrics["epochs_run"]))  # sample captions each epoch
    assert "lesson/test_bleu4/baseline" in tags
    capsys.readouterr()

    photo = real_data / FLICKR / "Flicker8k_Dataset" / "1000268201_693b08cb0e.jpg"
    gray = write_png(tmp_path / "gray.png", np.full((50, 60, 1), 120))
    rgba = write_png(tmp_path / "rgba.png", np.full((50, 60, 4), 200))
    model = str(run_dir / "model.keras")
    assert lesson.run(["predict", "--model", model, str(photo), str(gray), str(rgba)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[-3:]] == [str(photo), str(gray), str(rgba)]
    assert all(len(line.split(": ", 1)[1].split()) >= 1 for line in lines[-3:])
    (tmp_path / "notes.jpg").write_text("hello")
    assert_one_line_error(
        lesson.run, ["predict", "--model", model, str(tmp_path / "notes.jpg")], capsys, "not an image"
    )
    assert_one_line_error(lesson.run, ["predict", "--model", model, str(tmp_path / "no.jpg")], capsys, "no such file")
    assert_one_line_error(lesson.run, ["predict", "--model", model], capsys, "give at least one photo")


def test_predict_without_a_trained_model_is_one_line(tmp_path, capsys):
    assert_one_line_error(lesson.run, ["predict", "--model", str(tmp_path / "none.keras"), "x.jpg"], capsys)


@pytest.mark.skipif(os.environ.get("COURSE_SKIP_SLOW") == "1", reason="slow")
def test_pretrained_path_end_to_end_with_random_weights(real_data, tmp_path, monkeypatch):
    """The feature-caching path, run offline with an untrained EfficientNetB0 on a few photos."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    run_dir = tmp_path / "run"
    argv = ["--quick", "--encoder", "pretrained", "--imagenet-weights", "none", "--attention", "--epochs", "1"]
    assert lesson.run([*argv, "--max-photos", "12", "--run-dir", str(run_dir)]) == 0
    metrics = read_metrics(run_dir)
    assert metrics["encoder"] == "pretrained" and metrics["photos"]["train"] == 12
    assert list((tmp_path / "cache" / "lesson06").glob("efficientnetb0-none-grid-*.npy"))
    assert_png(run_dir / "attention.png")
