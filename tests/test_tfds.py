"""--source tfds: the same data through tensorflow-datasets, offline, from the course's data root."""

import time

import pytest

from course_utils import CourseError, conll, corpora, data, tfds_source
from course_utils.lesson import definitions
from tests.helpers import lesson_main as main
from tests.helpers import assert_one_line_error

LESSON04 = "lesson04_tagging"


def begins(sentences):
    """How many B- tags: in IOB1 only an entity touching one of its own type opens with B-; in IOB2 every one."""
    return sum(tag.startswith("B-") for _, tags in sentences for tag in tags)


@pytest.fixture(scope="module")
def tfds_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("tfds_cache")


@pytest.fixture(autouse=True)
def private_cache(tfds_cache, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tfds_cache))


def test_tiny_shakespeare_through_tfds_is_the_courses_file(real_data):
    assert tfds_source.tiny_shakespeare() == data.read_text("tinyshakespeare")
    assert (tfds_source.tfds_dir() / "tiny_shakespeare").is_dir()  # prepared inside the course's cache


def test_imdb_through_tfds_has_the_same_reviews_without_their_movies(real_data):
    texts, labels = tfds_source.imdb_reviews("test")
    assert len(texts) == 25_000 and sum(labels) == 12_500
    ours, our_labels, movies = corpora.load_imdb("test")

    def key(text):  # tfds strips each review and decodes a few odd bytes differently
        return text.strip()[:100]

    by_text = {key(text): label for text, label in zip(ours, our_labels)}
    assert sum(by_text.get(key(text)) == label for text, label in zip(texts, labels)) > 24_900
    assert len(set(movies)) > 1000  # what the course's loader adds: the movie of each review
    with pytest.raises(ValueError):
        tfds_source.imdb_reviews("unsupervised")


def test_a_missing_file_stops_at_once_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))

    def offline(dataset, target):
        raise data._offline(dataset, "no network")

    monkeypatch.setattr(data, "_download", offline)
    start = time.perf_counter()
    with pytest.raises(CourseError) as error:
        tfds_source.tiny_shakespeare()
    assert time.perf_counter() - start < 10 and "\n" not in str(error.value)
    assert not (tfds_source.tfds_dir() / "downloads").exists()  # tfds itself never tried


def test_conll2003_through_tfds_is_the_courses_data_in_the_lessons_hands(real_data):
    lesson = definitions(LESSON04)
    ours, _ = conll.load_corpus(lesson.Config(task="ner"))
    through_tfds, source = conll.load_corpus(lesson.Config(task="ner", source="tfds"))
    assert "tensorflow-datasets" in source
    assert {name: len(sentences) for name, sentences in ours.items()} == {"train": 14_041, "dev": 3_250, "test": 3_453}
    assert through_tfds == ours  # every sentence, token and (IOB2) tag, in the files' order
    # Before the lesson's conversion tfds gives the file's own IOB1 tags, under tfds' class names.
    raw = tfds_source.conll2003("test")
    assert raw == conll.read_columns(data.fetch("conll2003_testb"), 1, 4)
    assert begins(raw) == 20 and begins(through_tfds["test"]) == 5_648  # IOB1 in the file, IOB2 in the lesson
    with pytest.raises(ValueError):
        tfds_source.conll2003("testb")


@pytest.mark.parametrize(
    "argv", [["--source", "tfds"], ["--source", "tfds", "--train", "a", "--dev", "b", "--test", "c"]]
)
def test_lesson04_source_tfds_is_for_conll2003_only(argv, capsys, private_runs):
    err = assert_one_line_error(lambda args: main(LESSON04, args), argv, capsys)
    assert "--source tfds reads CoNLL-2003 for --task ner only" in err
    assert not private_runs.exists()


def test_lesson04_source_tfds_without_conll2003_says_where_to_put_it(tmp_path, monkeypatch, capsys, private_runs):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    err = assert_one_line_error(lambda args: main(LESSON04, args), ["--task", "ner", "--source", "tfds"], capsys)
    assert "clips.uantwerpen.be/conll2003" in err and str(tmp_path / "empty" / "conll2003") in err
    assert not (tfds_source.tfds_dir() / "conll2003_local").exists()  # tfds itself never started
