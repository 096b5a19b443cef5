"""Lesson 04: the POS lesson runs as a notebook (quick) and beats the baseline; a quick NER run scores
entities; a learner's own files; predict; clean errors."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from bench.benchmarks import BENCHMARKS
from course_utils import REPO_ROOT, conll
from course_utils.lesson import definitions
from tests.helpers import lesson_main as main
from tests.helpers import UPOS_TAGS, assert_one_line_error, assert_png, read_metrics, tensorboard_scalars
from tests.notebook import (
    assert_every_code_cell_shows_something,
    code_cell_lengths,
    execute_lesson,
    figures_shown,
    printed_text,
)

LESSON = "lesson04_tagging"
lesson = definitions(LESSON)
ENTITY_TYPES = {"PER", "LOC", "ORG", "MISC"}


def run(argv):
    return main(LESSON, argv)


def run_ok(argv):
    assert run(argv) == 0


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson04"))


@pytest.fixture(scope="module")
def pos_run(notebook_run):
    return notebook_run[1]


def bench_keys(task):
    """The metrics that make bench reads from a run of ``task`` (pos: no --task flag)."""
    entries = BENCHMARKS[LESSON]
    return {k for e in entries if ("ner" in e["args"]) == (task == "ner") for k in e["report"]} - {
        "first_epoch_seconds",
        "later_epoch_seconds",
    }


def check_outputs(run_dir, metrics):
    for png in ("training_curves.png", "confusion_matrix.png", "f1_per_tag.png"):
        assert_png(run_dir / png)
    scalars = tensorboard_scalars(run_dir / "logs")
    assert sorted(scalars["train/epoch_loss"]) == list(range(metrics["epochs"]))
    assert sorted(scalars["validation/epoch_accuracy"]) == list(range(metrics["epochs"]))
    assert "lesson/test/accuracy" in scalars
    assert isinstance(keras.models.load_model(run_dir / "model.keras"), keras.Model)
    vocab = json.loads((run_dir / "vocab.json").read_text())
    assert vocab["words"][:2] == ["<pad>", "<unk>"] and vocab["tags"] == sorted(metrics["per_tag"])


def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    assert_every_code_cell_shows_something(notebook)
    assert figures_shown(notebook) >= 3, "training curves, confusion matrix and per-tag F1 drawn inline"
    text = printed_text(notebook)
    metrics = read_metrics(run_dir)
    assert f"token accuracy {metrics['test_accuracy']:.4f}   (baseline {metrics['baseline_accuracy']:.4f})" in text
    assert "A training sentence, one tag per word" in text and "The example sentence as ids" in text
    assert "One training batch: words (32, " in text and "The weights (the mask)" in text
    assert "Total params" in text, "model.summary() is shown"
    assert "Untrained, it guesses" in text
    assert "Epoch 2/2" in text
    assert "| tag | precision | recall | F1 | baseline F1 | support |" in text
    assert "test sentence" in text and "^" in text, "test sentences with their mistakes marked"
    assert "blorptastic/" in text, "the reloaded model tags new sentences"
    # section 2 scores whole entities on a made-up sentence: 2 of 3 predicted entities right, 2 of 3 found
    assert "('PER', 3, 5)" in text and "('PER', 3, 4)" in text
    assert "Entity precision 0.667 (2 of 3 predicted), recall 0.667 (2 of 3 gold), F1 0.667" in text
    assert "CRF loss with zero transitions" in text


def test_no_code_cell_is_longer_than_40_lines():
    assert max(code_cell_lengths(REPO_ROOT / "lessons" / f"{LESSON}.py")) <= 40


def test_quick_pos_run_beats_the_baseline(pos_run):
    metrics = read_metrics(pos_run)
    assert metrics["task"] == "pos" and metrics["quick"] is True and metrics["epochs"] == 2
    assert metrics["train_sentences"] == 1500 and metrics["test_sentences"] == 500
    assert set(metrics["per_tag"]) <= UPOS_TAGS and {"NOUN", "VERB", "PUNCT"} <= set(metrics["per_tag"])
    # A loose floor for two epochs on 1,500 sentences; the character CNN must help on unseen words.
    assert metrics["test_accuracy"] > 0.75
    assert metrics["test_accuracy"] > metrics["baseline_accuracy"]
    assert metrics["test_accuracy_unseen"] > metrics["baseline_accuracy_unseen"] + 0.1
    assert metrics["dev_accuracy"] == metrics["history"]["val_accuracy"][-1]
    assert metrics["history"]["loss"][-1] < metrics["history"]["loss"][0]
    check_outputs(pos_run, metrics)


def test_metrics_record_the_whole_configuration(pos_run):
    record = json.loads((pos_run / "metrics.json").read_text())
    fields = lesson.Config.__dataclass_fields__
    assert set(fields) <= set(record), f"missing: {set(fields) - set(record)}"
    for key in bench_keys("pos"):  # bench reads these
        assert isinstance(record[key], float), key


def test_predict_reloads_the_model(pos_run, capsys):
    assert run(["predict", "--model", str(pos_run / "model.keras"), "The dog didn't bark, it slept."]) == 0
    line = capsys.readouterr().out.strip().splitlines()[0]
    pairs = [p.rsplit("/", 1) for p in line.split()]
    assert [w for w, _ in pairs] == ["The", "dog", "did", "n't", "bark", ",", "it", "slept", "."]
    assert all(t in UPOS_TAGS for _, t in pairs)
    assert dict(pairs)[","] == "PUNCT" and dict(pairs)["."] == "PUNCT"


def test_the_saved_model_masks_padding(pos_run):
    """The same sentence alone and padded inside a batch gets the same tag probabilities."""
    model, encoder = lesson.load_tagger(pos_run / "model.keras")
    tokens = lesson.tokenize("The blorptastic flurbs wuzzled quickly.")
    longer = lesson.tokenize("A much longer sentence makes the first one padded with many zeros at its end here.")

    def probabilities(sentences):
        words, chars, case = (tf.constant(a) for a in encoder.inputs(sentences))
        return keras.ops.convert_to_numpy(model(lesson.model_batch(words, chars, case, tf.zeros_like(words))[0]))

    alone, padded = probabilities([tokens]), probabilities([tokens, longer])
    assert padded.shape[1] > len(tokens)
    np.testing.assert_allclose(alone[0], padded[0, : len(tokens)], atol=1e-5)


def test_rare_words_are_hidden_only_while_training(pos_run):
    layer = keras.models.load_model(pos_run / "model.keras").get_layer("rare_word_dropout")
    rates = keras.ops.convert_to_numpy(layer.rates)
    assert rates[0] == rates[1] == 0.0, "padding and <unk> are never hidden"
    # Every word in the vocabulary was seen at least twice (min_count), so alpha / (alpha + count) <= 0.25 / 2.25.
    assert np.all(rates[2:] > 0) and rates.max() <= 0.25 / (0.25 + 2) + 1e-6
    words = np.tile(np.arange(len(rates), dtype="int32"), (40, 1))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(words)), words)
    hidden = keras.ops.convert_to_numpy(layer(words, training=True))
    assert set(np.unique(hidden[hidden != words])) == {1}, "a hidden word becomes <unk>"
    assert np.all(hidden[:, 0] == 0), "padding stays padding"
    assert abs((hidden != words).mean() - rates.mean()) < 0.01


def test_quick_ner_run_scores_entities(real_data, tmp_path, capsys):
    run_dir = tmp_path / "ner"
    run_ok(["--task", "ner", "--quick", "--run-dir", str(run_dir)])
    metrics = read_metrics(run_dir)
    assert ENTITY_TYPES == set(metrics["per_entity_type"])
    # IOB1 was turned into IOB2: every tag is O, B-X or I-X, and every gold entity opens with exactly one B-.
    assert set(metrics["per_tag"]) == {"O"} | {f"{p}-{k}" for p in "BI" for k in ENTITY_TYPES}
    for kind, scores in metrics["per_entity_type"].items():
        assert metrics["per_tag"][f"B-{kind}"]["support"] == scores["support"], kind
    assert metrics["baseline_entity_f1"] > 0.2, "the counting baseline already finds some entities"
    assert metrics["test_entity_f1"] > 0.3  # loose floor for a two-epoch run on 1,500 sentences
    assert metrics["test_entity_f1"] > metrics["baseline_entity_f1"]
    check_outputs(run_dir, metrics)
    # Entity F1 on the dev set is logged every epoch, next to Keras' own validation metrics, and it rises.
    scalars = tensorboard_scalars(run_dir / "logs")
    assert sorted(scalars["validation/epoch_entity_f1"]) == list(range(metrics["epochs"]))
    dev_f1 = metrics["history"]["val_entity_f1"]
    assert metrics["dev_entity_f1"] == dev_f1[-1] and dev_f1[-1] > dev_f1[0]
    capsys.readouterr()
    assert run(["predict", "--model", str(run_dir / "model.keras"), "Peter Blackburn flew to Germany."]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert all(t == "O" or t[:2] in ("B-", "I-") for t in (p.rsplit("/", 1)[1] for p in first.split()))


def test_quick_ner_crf_run_on_iobes_tags(real_data, tmp_path, capsys):
    """--output crf --tags iobes: the CRF trains on IOBES tags, Viterbi decodes, scores are IOB2."""
    run_dir = tmp_path / "ner_crf"
    run_ok(["--task", "ner", "--quick", "--output", "crf", "--tags", "iobes", "--run-dir", str(run_dir)])
    metrics = read_metrics(run_dir)
    assert metrics["output"] == "crf" and metrics["tags"] == "iobes"
    assert set(metrics["per_tag"]) == {"O"} | {f"{p}-{k}" for p in "BI" for k in ENTITY_TYPES}, "scored as IOB2"
    assert metrics["test_entity_f1"] > 0.3 and metrics["test_entity_f1"] > metrics["baseline_entity_f1"]
    assert metrics["history"]["loss"][-1] < metrics["history"]["loss"][0]
    assert bench_keys("ner") <= set(metrics), "every figure make bench reads"
    assert metrics["dev_entity_f1"] == metrics["history"]["val_entity_f1"][-1]
    vocab = json.loads((run_dir / "vocab.json").read_text())
    assert vocab["scheme"] == "iobes" and {"S-PER", "E-PER", "B-PER", "I-PER"} <= set(vocab["tags"])
    assert_png(run_dir / "crf_transitions.png")
    model, encoder = lesson.load_tagger(run_dir / "model.keras")
    transitions, start, end = lesson.crf_weights(model)
    index = {t: i for i, t in enumerate(vocab["tags"])}
    # learned from the data: an entity's B- is followed by its I- or E-, never by O
    assert transitions[index["B-PER"], index["E-PER"]] > 0 > transitions[index["B-PER"], index["O"]]
    assert start[index["E-PER"]] < start[index["B-PER"]], "a sentence does not open with an entity's last word"
    capsys.readouterr()
    assert run(["predict", "--model", str(run_dir / "model.keras"), "Angela Merkel met Emmanuel Macron."]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert all(t == "O" or t[:2] in ("B-", "I-") for t in (p.rsplit("/", 1)[1] for p in first.split()))


def test_iobes_round_trip():
    iob2 = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "I-LOC", "O", "B-MISC"]
    iobes = ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "I-LOC", "E-LOC", "O", "S-MISC"]
    assert lesson.iob2_to_iobes(iob2) == iobes and lesson.iobes_to_iob2(iobes) == iob2


def write_columns(path, sentences):
    path.write_text("".join("".join(f"{w}\tx\t{t}\n" for w, t in zip(*s)) + "\n" for s in sentences))


def test_a_learners_own_column_files(real_data, tmp_path):
    ewt = conll.read_conllu(real_data / "ud_english_ewt" / "en_ewt-ud-dev.conllu", tag_column="xpos")
    files = {}
    for name, part in (("train", ewt[:600]), ("dev", ewt[600:700]), ("test", ewt[700:800])):
        files[name] = tmp_path / f"mine.{name}"
        write_columns(files[name], part)
    run_dir = tmp_path / "own"
    run_ok(
        [
            "--train",
            str(files["train"]),
            "--dev",
            str(files["dev"]),
            "--test",
            str(files["test"]),
            "--columns",
            "1,3",
            "--epochs",
            "1",
            "--hidden",
            "32",
            "--run-dir",
            str(run_dir),
        ]
    )
    metrics = read_metrics(run_dir)
    assert "your files" in metrics["data"] and metrics["train_sentences"] == 600
    assert metrics["columns"] == "1,3"
    assert {"NN", "VBZ", "DT"} <= set(metrics["per_tag"])  # Penn tags from column 3, not UPOS


def run_error(argv, capsys):
    return assert_one_line_error(run, argv, capsys)


def test_malformed_own_file_reports_file_and_line(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("The DET\ncat NOUN\n\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("The DET\ncat NOUN\n\nsat\n")
    err = run_error(["--train", str(good), "--dev", str(good), "--test", str(bad), "--columns", "1,2"], capsys)
    assert "bad.txt, line 4" in err
    err = run_error(["--train", str(good), "--test", str(good)], capsys)
    assert "--train, --dev and --test together" in err


def test_a_test_tag_never_seen_in_training_is_one_clear_line(tmp_path, capsys, private_runs):
    good = tmp_path / "good.txt"
    good.write_text("The DET\ncat NOUN\n\n")
    other = tmp_path / "other.txt"
    other.write_text("The DET\ncat VERB\n\n")
    err = run_error(["--train", str(good), "--dev", str(good), "--test", str(other), "--columns", "1,2"], capsys)
    assert "VERB in the test data never occur in the training data" in err
    assert not private_runs.exists()  # found while reading the data, before a run folder is made


def test_missing_conll2003_says_where_to_put_it(tmp_path, monkeypatch, capsys, private_runs):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty"))
    err = run_error(["--task", "ner", "--quick"], capsys)
    assert "clips.uantwerpen.be/conll2003" in err and str(tmp_path / "empty" / "conll2003") in err
    assert not private_runs.exists()  # no empty run folder left behind


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--columns", "0,2"], "column numbers start at 1"),
        (["--columns", "a"], "expected TOKEN,TAG"),
        (["--task", "chunk"], "invalid choice"),
        (["--tags", "iobes"], "add --task ner"),
        (["--output", "hmm"], "invalid choice"),
        (["--word-dropout", "1"], "expected a value in [0, 1)"),
        (["--seed", "4294967296"], "below 2**32"),
        (["predict", "--model", "nope.keras", "Hi"], "does not exist"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, capsys):
    assert message in run_error(argv, capsys)


def test_a_notebook_edit_gets_the_same_checks():
    from course_utils import CourseError
    from course_utils.lesson import validate

    validate(lesson.Config(columns="2,4"))
    with pytest.raises(CourseError, match="--columns: column numbers start at 1"):
        validate(lesson.Config(columns="0,4"))


def test_tokenizer_splits_punctuation_and_clitics():
    assert lesson.tokenize("I can't go, it's Bob's U.S. e-mail!") == [
        "I",
        "ca",
        "n't",
        "go",
        ",",
        "it",
        "'s",
        "Bob",
        "'s",
        "U.S.",
        "e-mail",
        "!",
    ]


def test_batches_cut_chars_to_the_words_and_weigh_only_real_words():
    vocab = lesson.build_vocab([(["The", "cat", "sat"], ["DET", "NOUN", "VERB"])] * 2, "pos", min_count=1)
    encoder = lesson.Encoder(vocab)
    sentences = [
        (["The", "cat"], ["DET", "NOUN"]),
        (["The", "cat", "sat"], ["DET", "NOUN", "VERB"]),
        (["cat"], ["NOUN"]),
    ]
    arrays = encoder.encode(sentences)
    assert arrays[3].tolist() == [[1, 2, 0], [1, 2, 3], [2, 0, 0]], "tag ids + 1, 0 for padding"
    batches = list(lesson.tagged_batches(arrays, batch_size=2))
    assert sum(len(tags) for _, tags, _ in batches) == 3
    for inputs, tags, weights in batches:
        steps = inputs["words"].shape[1]
        assert inputs["chars"].shape[1:] == (steps, lesson.MAX_CHARS) and inputs["case"].shape[1] == steps
        assert tags.shape == weights.shape == inputs["words"].shape
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(weights), inputs["words"].numpy() != 0)
