"""--source tfds: the same data through tensorflow-datasets, offline, from the course's data root."""

import time

import pytest

from course_utils import CourseError, corpora, data, tfds_source


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
