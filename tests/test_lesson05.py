"""Lesson 05: the lesson runs as a notebook (quick) and writes every output; data split, text handling,
BLEU, the shared-layer decoder, save/reload, predict and one-line errors."""

import json
import re
import unicodedata

import keras
import numpy as np
import pytest
import sacrebleu

from course_utils.commands import lesson05_translation as commands
from course_utils.lesson import config_parser, definitions
from tests.helpers import lesson_main as main
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars
from tests.notebook import assert_every_code_cell_shows_something, execute_lesson, figures_shown, printed_text

LESSON = "lesson05_translation"
lesson = definitions(LESSON)
KINDS = ("plain", "attention")


def run(argv):
    return main(LESSON, argv)


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson05"))


@pytest.fixture(scope="module")
def quick_run(notebook_run):
    return notebook_run[1]


def showcase_row(text: str, sentence: str) -> list[str]:
    """``sentence``'s row of the notebook's last table: plain greedy, plain beam, attention greedy, attention beam."""
    row = next(line for line in text.splitlines() if line.startswith(f"| {sentence} |"))
    return [cell.strip() for cell in row.strip("|").split("|")][1:]


# ------------------------------------------------------------------ the lesson, run as a notebook
def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    assert_every_code_cell_shows_something(notebook)
    assert figures_shown(notebook) >= 5, "two training curves, BLEU bars, BLEU by length and attention drawn inline"
    text = printed_text(notebook)
    metrics = read_metrics(run_dir)
    assert f"{metrics['train_pairs']:,} training pairs" in text and "A few raw training pairs:" in text
    assert "by English sentence: 3,400 training, 200 validation, 150 test" in text, "QUICK_SOURCES = 4000 sentences"
    assert "| position | decoder reads (input) | must write (target) |" in text and "| 0 | [start] (2) |" in text
    assert "One training batch: English (64, " in text and "decoder input (64, " in text
    assert "Total params" in text and "seq2seq_attention_gru" in text, "model.summary() is shown"
    assert "Untrained attention model: 'I am cold.' -> " in text
    assert "Epoch 3/3" in text and "Validation losses to beat:" in text
    assert "Test BLEU (sacreBLEU, case-insensitive, all references), 150 test sentences:" in text
    for kind in KINDS:  # the table shows exactly the numbers metrics.json records
        row = (
            f"| {kind} | {metrics[f'bleu_{kind}_untrained']:.1f} | {metrics[f'bleu_{kind}_greedy']:.1f} "
            f"| {metrics[f'bleu_{kind}_beam']:.1f} | {metrics[f'score_{kind}_greedy']:.3f} "
            f"| {metrics[f'score_{kind}_beam']:.3f} |"
        )
        assert row in text, row
    assert "| English | plain greedy | plain beam 4 | attention greedy | attention beam 4 |" in text
    assert len(showcase_row(text, "I am cold.")) == 4


def test_quick_run_writes_every_output(quick_run):
    metrics = read_metrics(quick_run)
    assert metrics["quick"] is True and metrics["epochs"] == 3 and metrics["units"] == 64
    assert metrics["test_sentences"] == 150 and metrics["beam"] == 4 and metrics["target_words"] == 3000
    for name in ("attention.png", "bleu.png", "bleu_by_length.png", "loss_attention.png", "loss_plain.png"):
        assert_png(quick_run / name)
    settings = json.loads((quick_run / lesson.SETTINGS_FILE).read_text(encoding="utf-8"))
    assert set(settings["models"]) == {"model.keras", "model_plain.keras"}
    assert settings["models"]["model_plain.keras"]["attention"] == "none"
    assert len(settings["target_words"]) == metrics["target_words"]
    assert (quick_run / "model.keras").is_file() and (quick_run / "model_plain.keras").is_file()
    tags = tensorboard_scalars(quick_run / "logs")
    for kind in KINDS:
        assert sorted(tags[f"{kind}/train/epoch_loss"]) == list(range(metrics[f"epochs_{kind}"]))
        assert any(t.startswith(f"lesson/translations/{kind}") for t in tags), "sample translations as text"
    assert any("bleu/attention_beam_4" in t for t in tags)


def test_quick_models_learn_something(quick_run):
    """Even three quick epochs must beat the baselines: word frequencies, and the untrained model."""
    metrics = read_metrics(quick_run)
    assert metrics["unigram_val_loss"] < np.log(metrics["target_words"])
    for kind in KINDS:
        assert metrics[f"epochs_{kind}"] == 3
        assert metrics[f"val_loss_{kind}"] < metrics["unigram_val_loss"], f"{kind} ignores the English"
        untrained = metrics[f"bleu_{kind}_untrained"]
        assert metrics[f"bleu_{kind}_greedy"] > max(0.1, 5 * untrained), kind
        assert metrics[f"bleu_{kind}_beam"] > max(0.1, 5 * untrained), kind


def test_beam_search_finds_translations_the_model_scores_higher(quick_run):
    """What beam search is for: on the same model, its translations score at least as high as greedy's."""
    metrics = read_metrics(quick_run)
    for kind in KINDS:  # (1e-6: the same translation scores a few ulps apart in batches of different sizes)
        assert metrics[f"score_{kind}_beam"] >= metrics[f"score_{kind}_greedy"] - 1e-6, kind
        assert metrics[f"score_{kind}_greedy"] < 0


def test_bleu_by_length_covers_every_test_length(quick_run):
    metrics = read_metrics(quick_run)
    for kind in KINDS:
        by_length = metrics[f"bleu_{kind}_beam_by_length"]
        assert sorted(map(int, by_length)) == [3, 4, 5], "3 = three words or fewer, up to --max-words 5"


def test_metrics_record_the_whole_configuration(quick_run):
    record = json.loads((quick_run / "metrics.json").read_text())
    fields = lesson.Config.__dataclass_fields__
    assert set(fields) <= set(record), f"missing: {set(fields) - set(record)}"
    assert record["run_dir"] == str(quick_run) and "quick_sources" not in record


def test_predict_translates_as_the_lesson_did(notebook_run, capsys):
    """The reloaded models write exactly the translations the notebook showed, greedy and beam."""
    notebook, run_dir = notebook_run
    text = printed_text(notebook)
    for sentence in ("I am cold.", "Where is the station?"):
        plain_greedy, plain_beam, greedy, beam = showcase_row(text, sentence)
        for model, flags, expected in [
            ("model.keras", ["--beam", "4"], beam),
            ("model.keras", [], greedy),
            ("model_plain.keras", ["--beam", "4"], plain_beam),
        ]:
            assert run(["predict", "--model", str(run_dir / model), *flags, sentence]) == 0
            assert capsys.readouterr().out.strip() == f"{sentence}  ->  {expected}".strip()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "I am cold."], "no trained model"),
        (["predict", "--model", "MODEL", " \u202f "], "empty"),
        (["predict", "--model", "MODEL"], "give at least one English sentence"),
        (["predict", "--model", "NOSETTINGS", "I am cold."], "translation.json is missing"),
        (["predict", "--model", "MODEL", "--beam", "0", "I am cold."], "expected a number above 0"),
        (["--beam", "1"], "--beam must be at least 2"),
        (["--models", "transformer"], "invalid choice"),
        (["--dropout", "1.5"], "expected a value in [0, 1)"),
        (["--max-minutes", "-1"], "expected 0 or more"),
    ],
)
def test_bad_input_gives_one_clear_line(quick_run, tmp_path, argv, message, capsys):
    lonely = tmp_path / "lonely"  # a model without the vocabularies saved beside it
    lonely.mkdir()
    (lonely / "model.keras").write_bytes((quick_run / "model.keras").read_bytes())
    paths = {"MODEL": str(quick_run / "model.keras"), "NOSETTINGS": str(lonely / "model.keras")}
    assert_one_line_error(run, [paths.get(a, a) for a in argv], capsys, message)


def test_flags_keep_their_names_and_defaults():
    parser = config_parser(lesson.Config, "lesson05", "")
    help_text = " ".join(parser.format_help().split())
    for flag in ("--models", "--score", "--bidirectional", "--units", "--embed-dim", "--max-words", "--source-vocab",
                 "--target-vocab", "--lr", "--beam", "--alpha", "--test-sentences", "--max-minutes", "--epochs",
                 "--batch-size", "--cell", "--seed", "--quick", "--run-dir"):  # fmt: skip
        assert flag in help_text, flag
    assert "--quick-sources" not in help_text, "a hidden developer flag"
    config = lesson.Config()
    assert (config.epochs, config.batch_size, config.units, config.beam, config.test_sentences) == (
        10,
        128,
        128,
        4,
        1000,
    )
    assert config.max_minutes == 3.5 and config.lr == 6e-3 and config.kinds() == ["plain", "attention"]


# ------------------------------------------------------------------ the pieces, without the lesson's run
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


def test_bleu_by_length_scores_each_length_group_on_its_own():
    sources = ["Tom is here.", "Go home.", "We are very cold.", "She has a red car."]
    references = [["Tom est ici."], ["Rentre à la maison."], ["Nous avons très froid."], ["Elle a une voiture rouge."]]
    hypotheses = ["tom est ici.", "rentre à la maison.", "le chat dort sur le lit.", "elle a une voiture rouge."]
    by_length = lesson.bleu_by_length(lesson.Split(sources, references), hypotheses)
    assert list(by_length) == [3, 4, 5], "two and three words both count as 3 (three or fewer)"
    assert by_length[3] == pytest.approx(100) and by_length[5] == pytest.approx(100)
    assert by_length[4] < 10, "the wrong translation of the four-word sentence scores low in its own group"


def tiny_vocab():
    english = ["", "[UNK]", "i", "am", "cold", "hot", ".", "you", "are"]
    french = ["", "[UNK]", lesson.START, lesson.END, "j'ai", "froid", "chaud", ".", "tu", "as"]
    return lesson.Vocab(english, french)


def test_teacher_forcing_table_shifts_the_target_by_one():
    table = lesson.teacher_forcing_table(tiny_vocab(), "J'ai froid.")
    rows = [re.findall(r"\| ([^|]+?) \((\d+)\)", line) for line in table.splitlines()[2:]]
    assert [r[0][0] for r in rows] == ["[start]", "j'ai", "froid", "."]
    assert [r[1][0] for r in rows] == ["j'ai", "froid", ".", "[end]"]


@pytest.mark.parametrize(
    "cell,attention,bidirectional", [("gru", "dot", False), ("lstm", "additive", True), ("rnn", "none", False)]
)
def test_step_decoder_gives_the_training_models_scores(cell, attention, bidirectional):
    """Teacher-forced logits of the training model == logits of the one-word step model, word by word."""
    keras.utils.set_random_seed(0)
    vocab = tiny_vocab()
    spec = lesson.Spec(len(vocab.source_words), len(vocab.target_words), cell, 8, 4, attention, bidirectional)
    model = lesson.training_model(lesson.make_layers(spec), spec)
    assert isinstance(lesson.layers_of(model)["decoder_rnn"], keras.layers.RNN)
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


def test_the_test_evaluation_goes_through_the_progress_bar(monkeypatch):
    """Translating every test sentence takes minutes at full size: each beam width's pass shows its progress."""
    keras.utils.set_random_seed(0)
    vocab = tiny_vocab()
    spec = lesson.Spec(len(vocab.source_words), len(vocab.target_words), "gru", 8, 4, "dot")
    translator = lesson.Translator(lesson.training_model(lesson.make_layers(spec), spec), vocab)
    passes, real = [], lesson.progress

    def counted(iterable=None, total=None, what="", **kwargs):
        batches = list(iterable)
        passes.append(len(batches))
        return real(batches, total, what, **kwargs)

    monkeypatch.setattr(lesson, "progress", counted)
    sentences = ["I am cold.", "you are hot", "I am hot."] * 100
    test = lesson.Split(sentences, [["j'ai froid."]] * len(sentences))
    results = lesson.evaluate(translator, test, [1, 2], alpha=0.6)
    assert sorted(results) == [1, 2]
    assert passes == [2, 2], "greedy and beam each go over all the sentences' batches (256 a batch) with a bar"


def test_reloaded_model_translates_exactly_as_before(real_data, tmp_path):
    """Memorise a small real slice, save, reload: same translations, and not one sentence for all."""
    keras.utils.set_random_seed(1)
    pairs = lesson.read_pairs(max_words=4)
    train, _, _ = lesson.split_by_source(pairs, seed=1, limit=400)
    vocab = lesson.Vocab.fit(train, 2000, 2000)
    spec = lesson.Spec(len(vocab.source_words), len(vocab.target_words), "gru", 64, 32, "dot")
    model = lesson.build_model(spec, 1e-2)
    dataset, _ = lesson.training_data(train, vocab, 64, seed=1)
    model.fit(dataset, epochs=25, verbose=0)
    sentences = train.sources[:8]
    before, scores = lesson.Translator(model, vocab).translate(sentences, beam=3, scores=True)
    assert len(set(before)) >= 5, before
    greedy, greedy_scores = lesson.Translator(model, vocab).translate(sentences, scores=True)
    assert np.mean(scores) >= np.mean(greedy_scores)
    run_dir = tmp_path / "saved"
    run_dir.mkdir()
    model.save(run_dir / "model.keras")
    (run_dir / lesson.SETTINGS_FILE).write_text(
        json.dumps({"source_words": vocab.source_words, "target_words": vocab.target_words})
    )
    keras.backend.clear_session()
    reloaded = commands.load_translator(str(run_dir / "model.keras"))
    assert reloaded.translate(sentences, beam=3) == before
    assert reloaded.translate(sentences) == greedy
