"""Lesson 04: quick POS and NER runs on real slices, a learner's own files, predict, and clean errors."""

import keras
import pytest

from course_utils import conll
from lessons import lesson04_tagging as lesson
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars

UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"}


def run_ok(argv):
    assert lesson.run(argv) == 0


def check_outputs(run_dir, metrics):
    for png in ("training_curves.png", "confusion_matrix.png", "f1_per_tag.png"):
        assert_png(run_dir / png)
    scalars = tensorboard_scalars(run_dir / "logs")
    assert sorted(scalars["train/epoch_loss"]) == list(range(metrics["epochs"]))
    assert sorted(scalars["validation/epoch_accuracy"]) == list(range(metrics["epochs"]))
    assert "lesson/test/accuracy" in scalars
    assert isinstance(keras.models.load_model(run_dir / "model.keras"), keras.Model)
    assert (run_dir / "vocab.json").is_file()


def test_quick_pos_run_beats_the_baseline_and_predict_reloads_it(real_data, tmp_path, capsys):
    run_dir = tmp_path / "pos"
    run_ok(["--quick", "--run-dir", str(run_dir)])
    out = capsys.readouterr().out
    metrics = read_metrics(run_dir)
    assert metrics["task"] == "pos" and metrics["train_sentences"] == 1500
    assert set(metrics["per_tag"]) <= UPOS and {"NOUN", "VERB", "PUNCT"} <= set(metrics["per_tag"])
    # A loose floor for two epochs on 1,500 sentences; the character CNN must help on unseen words.
    assert metrics["test_accuracy"] > 0.75
    assert metrics["test_accuracy"] > metrics["baseline_accuracy"]
    assert metrics["test_accuracy_unseen"] > metrics["baseline_accuracy_unseen"] + 0.1
    assert "^" in out and "test sentence" in out  # printed examples with mistakes marked
    check_outputs(run_dir, metrics)

    assert lesson.run(["predict", "--model", str(run_dir / "model.keras"), "The dog didn't bark, it slept."]) == 0
    line = capsys.readouterr().out.strip().splitlines()[0]
    pairs = [p.rsplit("/", 1) for p in line.split()]
    assert [w for w, _ in pairs] == ["The", "dog", "did", "n't", "bark", ",", "it", "slept", "."]
    assert all(t in UPOS for _, t in pairs)
    assert dict(pairs)[","] == "PUNCT" and dict(pairs)["."] == "PUNCT"


def test_quick_ner_run_scores_entities(real_data, tmp_path, capsys):
    run_dir = tmp_path / "ner"
    run_ok(["--task", "ner", "--quick", "--run-dir", str(run_dir)])
    metrics = read_metrics(run_dir)
    assert {"PER", "LOC", "ORG", "MISC"} == set(metrics["per_entity_type"])
    assert not any(t.startswith("I-") and t not in metrics["per_tag"] for t in metrics["per_tag"])
    assert 0.0 <= metrics["baseline_entity_f1"] <= 1.0
    assert metrics["test_entity_f1"] > 0.3  # loose floor for a two-epoch run on 1,500 sentences
    assert metrics["test_entity_f1"] > metrics["baseline_entity_f1"]
    check_outputs(run_dir, metrics)
    # Entity F1 on the dev set is logged every epoch, next to Keras' own validation metrics.
    scalars = tensorboard_scalars(run_dir / "logs")
    assert sorted(scalars["validation/epoch_entity_f1"]) == list(range(metrics["epochs"]))
    assert 0.0 < metrics["dev_entity_f1"] <= 1.0
    capsys.readouterr()
    assert lesson.run(["predict", "--model", str(run_dir / "model.keras"), "Peter Blackburn flew to Germany."]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert all(t == "O" or t[:2] in ("B-", "I-") for t in (p.rsplit("/", 1)[1] for p in first.split()))


def write_columns(path, sentences):
    path.write_text("".join("".join(f"{w}\tx\t{t}\n" for w, t in zip(*s)) + "\n" for s in sentences))


def test_a_learners_own_column_files(real_data, tmp_path):
    ewt = conll.read_conllu(real_data / "ud_english_ewt" / "en_ewt-ud-dev.conllu", tag_column="xpos")
    files = {}
    for name, part in (("train", ewt[:600]), ("dev", ewt[600:700]), ("test", ewt[700:800])):
        files[name] = tmp_path / f"mine.{name}"
        write_columns(files[name], part)
    run_dir = tmp_path / "own"
    run_ok(["--train", str(files["train"]), "--dev", str(files["dev"]), "--test", str(files["test"]),
            "--columns", "1,3", "--epochs", "1", "--hidden", "32", "--run-dir", str(run_dir)])
    metrics = read_metrics(run_dir)
    assert "your files" in metrics["source"] and metrics["train_sentences"] == 600
    assert {"NN", "VBZ", "DT"} <= set(metrics["per_tag"])  # Penn tags from column 3, not UPOS


def run_error(argv, capsys):
    return assert_one_line_error(lesson.run, argv, capsys)


def test_malformed_own_file_reports_file_and_line(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("The DET\ncat NOUN\n\n")
    bad = tmp_path / "bad.txt"
    bad.write_text("The DET\ncat NOUN\n\nsat\n")
    err = run_error(["--train", str(good), "--dev", str(good), "--test", str(bad), "--columns", "1,2"], capsys)
    assert "bad.txt, line 4" in err
    err = run_error(["--train", str(good), "--test", str(good)], capsys)
    assert "--train, --dev and --test together" in err


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
        (["predict", "--model", "nope.keras", "Hi"], "does not exist"),
    ],
)
def test_bad_input_gives_one_line_error(argv, message, capsys):
    assert message in run_error(argv, capsys)


def test_tokenizer_splits_punctuation_and_clitics():
    assert lesson.tokenize("I can't go, it's Bob's U.S. e-mail!") == [
        "I", "ca", "n't", "go", ",", "it", "'s", "Bob", "'s", "U.S.", "e-mail", "!"]
