"""Lesson 05: data split, text handling, BLEU, the shared-layer decoder, save/reload, quick run."""

import json
import unicodedata

import keras
import numpy as np
import pytest
import sacrebleu

from lessons import lesson05_translation as lesson
from tests.helpers import assert_png, read_metrics, tensorboard_scalars


def test_normalise_keeps_accents_and_unifies_unicode_forms():
    decomposed = unicodedata.normalize("NFD", "Où est l’élève\u202f?")
    assert decomposed != "Où est l’élève\u202f?"
    assert lesson.normalise(decomposed) == "Où est l'élève ?"
    tokens = lesson.standardize(["«\u00a0Ça va\u00a0!\u00a0» Est-ce l'ÉTÉ ?"]).numpy()[0].decode()
    assert tokens == "« ça va ! » est-ce l'été ?"


def test_split_is_by_english_sentence_and_keeps_every_reference(real_data):
    pairs = lesson.read_pairs(max_words=5)
    train, val, test = lesson.split_by_source(pairs, seed=0, limit=5000)
    assert not set(train.sources) & set(test.sources) and not set(val.sources) & set(test.sources)
    grouped = {}
    for english, french in pairs:
        grouped.setdefault(english, []).append(french)
    assert all(refs == grouped[s] for s, refs in zip(test.sources, test.references))
    assert max(map(len, test.references)) > 1  # multi-reference sentences are really there
    assert len(test.sources) == 500


def test_bleu_matches_sacrebleu_and_a_hand_computation():
    hyps = ["il fait froid.", "le chat dort."]
    refs = [["Il fait très froid.", "Il fait froid."], ["Le chat est endormi."]]
    ours = lesson.corpus_bleu(hyps, refs)
    theirs = sacrebleu.corpus_bleu(
        hyps, [["Il fait très froid.", "Le chat est endormi."], ["Il fait froid.", None]], lowercase=True
    ).score
    assert ours == pytest.approx(theirs)
    # By hand: tokens "il fait froid ." (4, all matched by the 2nd reference) and "le chat dort ." (4).
    # 1-grams 4+3 of 8, 2-grams 3+1 of 6, 3-grams 2+0 of 4, 4-grams 1+0 of 2; closest reference
    # lengths 4 and 5 -> r = 9 > c = 8.
    precisions = [7 / 8, 4 / 6, 2 / 4, 1 / 2]
    hand = np.exp(1 - 9 / 8) * np.exp(np.mean(np.log(precisions))) * 100
    assert ours == pytest.approx(hand, abs=0.01)
    assert lesson.corpus_bleu(["Il fait froid."], [["il fait froid."]]) == pytest.approx(100)


def tiny_vocab():
    english = ["", "[UNK]", "i", "am", "cold", "hot", ".", "you", "are"]
    french = ["", "[UNK]", lesson.START, lesson.END, "j'ai", "froid", "chaud", ".", "tu", "as"]
    return lesson.Vocab(english, french)


@pytest.mark.parametrize(
    "cell,attention,bidirectional", [("gru", "dot", False), ("lstm", "additive", True), ("rnn", "none", False)]
)
def test_step_decoder_gives_the_training_models_scores(cell, attention, bidirectional):
    """Teacher-forced logits of the training model == logits of the one-word step model, word by word."""
    keras.utils.set_random_seed(0)
    vocab = tiny_vocab()
    spec = lesson.Spec(len(vocab.source_words), len(vocab.target_words), cell, 8, 4, attention, bidirectional)
    model = lesson.training_model(lesson.make_layers(spec), spec)
    source = vocab.encode_source(["I am cold.", "you are hot"])
    target = vocab.encode_target(["j'ai froid.", "tu as chaud"])
    full = keras.ops.convert_to_numpy(model([source, target[:, :-1]]))
    translator = lesson.Translator(model, vocab)
    encoder_outputs, *states = translator.encoder(source)
    state = {
        "rnn": [keras.ops.convert_to_numpy(s) for s in states],
        "source": source,
        "encoder_outputs": keras.ops.convert_to_numpy(encoder_outputs),
    }
    for t in range(target.shape[1] - 1):
        log_probs, state = translator.step(target[:, t], state)
        logits = full[:, t].astype("float64")
        logits[:, [0, 1, vocab.start_id]] = -np.inf  # the decoder never writes padding, [UNK] or [start]
        expected = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        np.testing.assert_allclose(log_probs, expected, atol=1e-4)


def test_reloaded_model_translates_exactly_as_before(real_data, tmp_path):
    """Memorise a small real slice, save, reload: same translations, and not one sentence for all."""
    keras.utils.set_random_seed(1)
    pairs = lesson.read_pairs(max_words=4)
    train, _, _ = lesson.split_by_source(pairs, seed=1, limit=400)
    vocab = lesson.Vocab.fit(train, 2000, 2000)
    spec = lesson.Spec(len(vocab.source_words), len(vocab.target_words), "gru", 64, 32, "dot")
    model = lesson.training_model(lesson.make_layers(spec), spec)
    model.compile(
        keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    )
    dataset, _ = lesson.training_data(train, vocab, 64, seed=1)
    model.fit(dataset, epochs=25, verbose=0)
    sentences = train.sources[:8]
    before = lesson.Translator(model, vocab).translate(sentences, beam=3)
    assert len(set(before)) >= 5, before
    run_dir = tmp_path / "saved"
    run_dir.mkdir()
    model.save(run_dir / "model.keras")
    (run_dir / lesson.SETTINGS_FILE).write_text(
        json.dumps({"source_words": vocab.source_words, "target_words": vocab.target_words})
    )
    keras.backend.clear_session()
    reloaded = lesson.load_translator(str(run_dir / "model.keras"))
    assert reloaded.translate(sentences, beam=3) == before
    greedy_before = lesson.Translator(model, vocab).translate(sentences)
    assert reloaded.translate(sentences) == greedy_before


def test_quick_run_writes_every_output(real_data, private_runs, capsys):
    run_dir = private_runs / "quick"
    status = lesson.run(["--quick", "--models", "attention", "--run-dir", str(run_dir)])
    assert status == 0
    metrics = read_metrics(run_dir)
    assert metrics["quick"] is True and metrics["epochs_attention"] >= 1
    assert 0 <= metrics["bleu_attention_greedy"] <= 100 and 0 <= metrics["bleu_attention_beam"] <= 100
    assert metrics["val_loss_attention"] < np.log(metrics["target_words"])  # better than a uniform guess
    by_length = metrics["bleu_attention_beam_by_length"]  # test sentences grouped by English length
    assert min(map(int, by_length)) == 3 and all(0 <= b <= 100 for b in by_length.values())
    for name in ("attention.png", "bleu.png", "bleu_by_length.png", "loss_attention.png"):
        assert_png(run_dir / name)
    assert (run_dir / "model.keras").is_file() and (run_dir / lesson.SETTINGS_FILE).is_file()
    tags = tensorboard_scalars(run_dir / "logs")
    assert any(t.startswith("attention/train") for t in tags) and any("bleu" in t for t in tags)
    assert any("translations/attention" in t for t in tags)  # sample translations as TensorBoard text
    out = capsys.readouterr().out
    assert "Test BLEU" in out
    status = lesson.run(["predict", "--model", str(run_dir / "model.keras"), "--beam", "3", "I am cold."])
    assert status == 0 and "I am cold.  ->" in capsys.readouterr().out


def test_bad_input_is_one_line_errors(private_runs, capsys):
    assert lesson.run(["predict", "I am cold."]) == 2
    assert "no trained model" in capsys.readouterr().err
    assert lesson.run(["--beam", "1"]) == 2
    assert lesson.run(["predict", " \u202f "]) == 2
    assert "empty" in capsys.readouterr().err
