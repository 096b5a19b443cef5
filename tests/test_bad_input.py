"""Bad input never reaches a traceback: flags with bounds, damaged side files, binary or huge inputs.

Every case here fails before any training and before any model is loaded (or with a tiny stand-in
model), so the whole file runs in seconds.
"""

import argparse
import dataclasses
import io
import json
import math
import sys
import time

import keras
import pytest

from course_utils import CourseError, cli, conll, inputs
from course_utils import commands
from course_utils.lesson import definitions
from tests.helpers import lesson_main as main
from tests.helpers import assert_one_line_error

LESSONS = [
    "lesson01_rnn_from_scratch",
    "lesson02_gates",
    "lesson03_sentiment",
    "lesson04_tagging",
    "lesson05_translation",
    "lesson06_captioning",
    "lesson07_char_lm",
    "lesson08_forecasting",
    "lesson09_recurrence",
]
# Whole-number flags whose size costs only time (or that only filter), so they need no upper bound.
TIME_ONLY = {
    "epochs",
    "patience",
    "min_count",
    "max_photos",
    "test_sentences",
    "clip_steps",
    "neuron_chars",
    "top_k",
    "max_words",
    "seed",
    "published_epochs",
    "steps",
}
HUGE = "é" * 1_000_000  # a 1 MB input


def runner(lesson):
    return lambda argv: main(lesson, argv)


def flag_types(lesson):
    """(flag name, field name, type) for every typed flag of the lesson: training flags and predict's."""
    defs = definitions(lesson)
    found = [
        ("--" + f.name.replace("_", "-"), f.name, f.metadata.get("type"))
        for f in dataclasses.fields(defs.Config)
        if f.metadata.get("type") is not None
    ]
    command_module = commands.module(lesson)
    if hasattr(command_module, "predict"):
        for action in commands.predict_parser(lesson, command_module)._actions:
            if action.type is not None and action.option_strings:
                found.append((f"predict {action.option_strings[0]}", action.dest, action.type))
    return found


def converted(convert, text):
    try:
        return convert(text)
    except argparse.ArgumentTypeError:
        return None


# ------------------------------------------------------------------ flags: seeds, inf and nan, sizes


@pytest.mark.parametrize("lesson", LESSONS)
def test_a_seed_of_2_to_the_32_is_one_line_in_every_lesson(lesson, capsys):
    assert_one_line_error(runner(lesson), ["--seed", "4294967296"], capsys, "below 2**32")
    seeds = [t for flag, name, t in flag_types(lesson) if name == "seed"]
    assert seeds and all(t is cli.seed for t in seeds), "every --seed flag uses cli.seed"
    assert cli.seed("4294967295") == 2**32 - 1


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_flag_accepts_inf_or_nan(lesson):
    for flag, _, convert in flag_types(lesson):
        for text in ("inf", "-inf", "nan", "1e999"):
            try:
                value = convert(text)
            except argparse.ArgumentTypeError:
                continue
            assert not (isinstance(value, float) and not math.isfinite(value)), f"{lesson} {flag} accepts {text}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_size_flag_has_an_upper_bound(lesson):
    """A whole-number flag that sizes a model, a batch or a sequence refuses ten million in one line."""
    for flag, name, convert in flag_types(lesson):
        if name in TIME_ONLY or not any(isinstance(converted(convert, text), int) for text in ("1", "3", "16", "100")):
            continue  # a number, a text or a pair, not a size
        with pytest.raises(argparse.ArgumentTypeError, match="at most"):
            convert("10000000")
            pytest.fail(f"{lesson} {flag} accepts 10,000,000")


@pytest.mark.parametrize(
    "lesson, argv, message",
    [
        ("lesson01_rnn_from_scratch", ["--hidden", "10000000"], "expected at most 4,096"),
        ("lesson06_captioning", ["--image-size", "1"], "expected 16 or more"),
        ("lesson06_captioning", ["--image-size", "4096"], "expected at most 256"),
        ("lesson02_gates", ["--learning-rate", "inf"], "finite"),
        ("lesson03_sentiment", ["--learning-rate", "nan"], "finite"),
        ("lesson05_translation", ["--alpha", "inf"], "from 0 to 2"),
        ("lesson05_translation", ["predict", "--alpha", "nan", "I am cold."], "from 0 to 2"),
        ("lesson06_captioning", ["predict", "--beam", "100000", "photo.jpg"], "expected at most 64"),
        ("lesson07_char_lm", ["--prime", "x" * 100_000], "expected at most 10,000 characters"),
        ("lesson07_char_lm", ["predict", "--length", "10000000", "A"], "expected at most 10,000"),
        ("lesson03_sentiment", ["--epochs", "9" * 5000], "expected a whole number"),
        ("lesson03_sentiment", ["--cell", "x" * 100_000], "invalid choice"),
    ],
)
def test_out_of_bounds_flags_are_one_short_line(lesson, argv, message, capsys):
    err = assert_one_line_error(runner(lesson), argv, capsys, message)
    assert len(err) < 400, "a huge bad value is not echoed back whole"


def test_bounded_types_keep_the_familiar_messages_below_the_bounds():
    with pytest.raises(argparse.ArgumentTypeError, match="expected a number above 0"):
        cli.layer_size("0")
    with pytest.raises(argparse.ArgumentTypeError, match="expected 0 or more"):
        cli.int_between(0, 9)("-1")
    assert cli.layer_size("4096") == 4096 and cli.int_between(0, 9)("0") == 0


# ------------------------------------------------------------------ side files a run wrote


@pytest.fixture(scope="module")
def stand_in_model(tmp_path_factory):
    """A tiny .keras file that loads: the side file beside it is what each test breaks."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    path = tmp_path_factory.mktemp("model") / "model.keras"
    model.save(path)
    return path.read_bytes()


def run_folder(tmp_path, lesson, model_bytes):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "lesson.txt").write_text(lesson + "\n")
    (folder / "model.keras").write_bytes(model_bytes)
    return folder


SIDE_FILES = [
    ("lesson04_tagging", "vocab.json", {"task": "pos", "words": ["<pad>", "<unk>"], "chars": [], "tags": ["NOUN"]}),
    ("lesson05_translation", "translation.json", {"source_words": ["", "[UNK]"], "target_words": ["", "[UNK]"]}),
    ("lesson06_captioning", "captioning.json", {"spec": {}, "words": [], "image_size": 64, "max_words": 16}),
    ("lesson07_char_lm", "char_lm.json", {"vocab": "\nab", "spec": {}}),
]


@pytest.mark.parametrize("lesson, name, content", SIDE_FILES)
@pytest.mark.parametrize("damage", ["cut in half", "empty", "a list", "binary"])
def test_a_damaged_side_file_is_one_line_naming_it(lesson, name, content, damage, stand_in_model, tmp_path, capsys):
    folder = run_folder(tmp_path, lesson, stand_in_model)
    text = json.dumps(content)
    broken = {
        "cut in half": text[: len(text) // 2].encode(),
        "empty": b"",
        "a list": b"[1, 2]",
        "binary": bytes(range(256)),
    }[damage]
    (folder / name).write_bytes(broken)
    argv = ["predict", "--model", str(folder / "model.keras"), "photo.jpg" if "06" in lesson else "Hello"]
    err = assert_one_line_error(runner(lesson), argv, capsys, str(folder / name))
    assert "damaged" in err


@pytest.mark.parametrize("lesson, name, content", SIDE_FILES)
def test_a_side_file_without_its_entries_is_one_line(lesson, name, content, stand_in_model, tmp_path, capsys):
    folder = run_folder(tmp_path, lesson, stand_in_model)
    (folder / name).write_text(json.dumps({"something": "else"}))
    argv = ["predict", "--model", str(folder / "model.keras"), "photo.jpg" if "06" in lesson else "Hello"]
    assert_one_line_error(runner(lesson), argv, capsys, "lacks")


@pytest.mark.parametrize(
    "vocab, message", [(b"\x00\x01\x02", "looks binary"), (b".abc\n", "not this model's character list")]
)
def test_lesson01_checks_its_character_list(vocab, message, stand_in_model, tmp_path, capsys):
    folder = run_folder(tmp_path, "lesson01_rnn_from_scratch", stand_in_model)
    (folder / "vocab.txt").write_bytes(vocab)
    argv = ["predict", "--model", str(folder / "model.keras"), "em"]
    assert_one_line_error(runner("lesson01_rnn_from_scratch"), argv, capsys, message)


def test_read_json_names_the_file_and_says_what_is_wrong(tmp_path):
    path = tmp_path / "settings.json"
    with pytest.raises(CourseError, match=r"settings.json is missing: it holds the words; train again"):
        inputs.read_json(path, "the words")
    path.write_text('{"words": ["a", "b"')
    with pytest.raises(CourseError, match=r"settings.json is damaged \(not valid JSON: .*line 1\)"):
        inputs.read_json(path, "the words")
    path.write_text('{"words": []}')
    with pytest.raises(CourseError, match=r"lacks 'spec'"):
        inputs.read_json(path, "the words", keys=("words", "spec"))
    assert inputs.read_json(path, "the words", keys=("words",)) == {"words": []}


# ------------------------------------------------------------------ what predict is given


@pytest.mark.parametrize("lesson", LESSONS)
@pytest.mark.parametrize("text, message", [(HUGE, "1,000,000 characters long"), ("ab\x07cd", "control character")])
def test_every_predict_refuses_a_huge_or_binary_input_before_loading_a_model(lesson, text, message, tmp_path, capsys):
    started = time.perf_counter()
    argv = ["predict", "--model", str(tmp_path / "none.keras"), "0.3:1,0.9:1", text]
    err = assert_one_line_error(runner(lesson), argv, capsys, "input 2")
    assert message in err and len(err) < 400, err
    assert time.perf_counter() - started < 10


def test_lesson03_predict_refuses_a_binary_file(tmp_path, capsys):
    argv = ["predict", "--model", str(tmp_path / "none.keras"), "--file", "/bin/ls"]
    assert_one_line_error(runner("lesson03_sentiment"), argv, capsys, "the file /bin/ls looks binary")
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("A fine film.\n" + "good " * 30_000 + "\n")
    argv = ["predict", "--model", str(tmp_path / "none.keras"), "--file", str(reviews)]
    assert_one_line_error(runner("lesson03_sentiment"), argv, capsys, f"{reviews}, line 2 (a review) is 150,000")
    argv = ["predict", "--model", str(tmp_path / "none.keras"), "--file", str(tmp_path)]
    assert_one_line_error(runner("lesson03_sentiment"), argv, capsys, "is a folder")


def test_lesson03_predict_refuses_binary_standard_input(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a good film\n\xff\xfe\x00\x01binary")))
    argv = ["predict", "--model", str(tmp_path / "none.keras"), "-"]
    assert_one_line_error(runner("lesson03_sentiment"), argv, capsys, "standard input looks binary")


def test_errors_about_an_input_show_only_its_beginning():
    lesson01, lesson02 = definitions("lesson01_rnn_from_scratch"), commands.module("lesson02_gates")
    with pytest.raises(CourseError) as err:
        lesson01.complete(None, [".", "a", "b"], "3" * 1_000_000)
    assert len(str(err.value)) < 300 and "1,000,000 characters" in str(err.value)
    with pytest.raises(CourseError) as err:
        lesson02.parse_sequence("0.5," * 250_000)
    assert len(str(err.value)) < 300 and "mark exactly two steps" in str(err.value)


def test_read_text_file_refuses_what_is_not_text(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(("café\n" * 10).encode("latin-1"))
    with pytest.raises(CourseError, match=r"notes.txt is not UTF-8 text \(a bad byte on line 1\)"):
        inputs.read_text_file(path)
    path.write_text("fine\nfine\nbell \x07 here\n")
    with pytest.raises(CourseError, match=r"U\+0007, on line 3"):
        inputs.read_text_file(path)
    path.write_text("x" * 101)
    with pytest.raises(CourseError, match="over"):
        inputs.read_text_file(path, max_bytes=100)
    with pytest.raises(CourseError, match="not a regular file"):
        inputs.read_text_file("/dev/zero")
    path.write_text("\ufeffa BOM and\ttabs\r\n")
    assert inputs.read_text_file(path) == "a BOM and\ttabs\r\n"


# ------------------------------------------------------------------ a learner's own tagged files


def test_a_one_column_line_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "mine.txt"
    path.write_text("The DET\ncat NOUN\nsat\n\n")
    with pytest.raises(CourseError, match=r"mine.txt, line 3: has 1 column\(s\), so column 1 .* the same one"):
        conll.read_columns(path)
    path.write_text("The x DET\nNew York x PROPN\n\n")  # a space inside a token shifts the columns
    with pytest.raises(CourseError, match=r"mine.txt, line 2: has 4 columns but line 1 has 3"):
        conll.read_columns(path)


def own_files(tmp_path, lines):
    for name in ("train", "dev", "test"):
        (tmp_path / f"mine.{name}").write_text(lines)
    return ["--train", str(tmp_path / "mine.train"), "--dev", str(tmp_path / "mine.dev")] + [
        "--test",
        str(tmp_path / "mine.test"),
    ]


def test_lesson04_reports_a_one_column_line_in_own_files(tmp_path, capsys, private_runs):
    argv = own_files(tmp_path, "The DET\ncat NOUN\nsat\n\n")
    assert_one_line_error(runner("lesson04_tagging"), argv, capsys, "mine.train, line 3: has 1 column(s)")
    assert not private_runs.exists()


def test_lesson04_iob_tags_need_task_ner_and_task_ner_needs_them(tmp_path, capsys, private_runs):
    argv = own_files(tmp_path, "Peter B-PER\nBlackburn I-PER\nflew O\n\n")
    assert_one_line_error(runner("lesson04_tagging"), argv, capsys, "add --task ner")
    argv = own_files(tmp_path, "The DET\ncat NOUN\n\n") + ["--task", "ner"]
    assert_one_line_error(runner("lesson04_tagging"), argv, capsys, "--task ner needs IOB tags")
    assert not private_runs.exists()  # both found before a run folder is made, let alone training


def test_a_binary_lesson_marker_is_one_line(tmp_path):
    from course_utils import CourseError
    from course_utils.runs import load_model

    (tmp_path / "lesson.txt").write_bytes(b"\xff\xfe\x00binary" * 50)
    (tmp_path / "model.keras").write_bytes(b"PK")
    with pytest.raises(CourseError, match="was trained by .*, not by lesson03_sentiment") as err:
        load_model(tmp_path / "model.keras", "lesson03_sentiment")
    assert len(str(err.value).splitlines()) == 1 and len(str(err.value)) < 300
