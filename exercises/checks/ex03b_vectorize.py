"""Check for ex03b: text to fixed-length ids, as TextVectorization does (the tests compare with it)."""

import re

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_equal

TITLE = "text to padded token ids (TextVectorization by hand)"
HINTS = (
    "Make a dictionary {word: id} from the vocabulary list with enumerate. Then standardize(text).split() "
    "gives the words; dictionary.get(word, 1) gives 1 for a word that is not in the vocabulary. Finally "
    "cut the list to `length` and add zeros at the end.",
    "    index = {word: i for i, word in enumerate(vocabulary)}\n"
    "    ids = [index.get(word, ...) for word in standardize(text).split()]\n"
    "    ids = ids[...]                      # the first `length`\n"
    "    return ids + [0] * (...)            # zeros at the end up to `length`",
)
VOCABULARY = [
    "",
    "[UNK]",
    "the",
    "a",
    "movie",
    "and",
    "is",
    "was",
    "not",
    "good",
    "great",
    "bad",
    "this",
    "i",
    "it",
    "plot",
    "acting",
    "loved",
    "boring",
    "don't",
    "!",
    "?",
]

CASES = [
    ("a short review, padded", "this movie was great", 8),
    ("capitals, punctuation and a line break", "Great ACTING!<br />The plot, though... was BAD.", 10),
    ("unknown words get 1 ([UNK])", "the cinematography was breathtaking and the score sublime", 9),
    ("a long review, cut to the first 6 ids", "i loved it and i loved the acting and the plot is not boring", 6),
    ("quotes go, an apostrophe inside a word stays", "I don't think 'it' is good?!", 9),
    ("an empty review", "", 4),
]


# a vocabulary adapted on other reviews: other words, other ids (a dictionary kept from an earlier call is wrong)
OTHER_VOCABULARY = ["", "[UNK]", "a", "the", "film", "great", "and", "was", "this", "bad", "!", "acting", "plot"]
OTHER_CASES = [
    ("another vocabulary (adapted on other reviews): the ids change", "This movie was great and the acting bad!", 10),
    ("back to the first vocabulary", "this film was great", 6),
]


def standardize(text):
    """Lesson 03's clean_text (course_utils.text), in Python; the tests check that the two agree."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)


def reference(text, length, unknown=1, keep_last=False, pad_front=False, raw=False, vocabulary=VOCABULARY):
    index = {w: i for i, w in enumerate(vocabulary)}
    words = text.split() if raw else standardize(text).split()
    ids = [index.get(w, unknown) for w in words]
    ids = ids[-length:] if keep_last and len(ids) > length else ids[:length]
    padding = [0] * (length - len(ids))
    return padding + ids if pad_front else ids + padding


def as_int_list(got, case):
    if got is None:
        raise CheckFailed(f"case: {case}\nvectorize returned None: did you forget the `return`?")
    try:
        values = np.asarray(got).tolist()
    except Exception:  # noqa: BLE001
        values = got
    if not isinstance(values, list) or not all(isinstance(v, (int, np.integer)) for v in values):
        raise CheckFailed(f"case: {case}\nvectorize should return a list of ints; it returned {got!r}")
    return [int(v) for v in values]


def check(learner):
    suspects = Suspects(atol=None)  # a cause is named only when the evidence singles it out
    cases = [(*c, VOCABULARY) for c in CASES] + [(*c, v) for c, v in zip(OTHER_CASES, (OTHER_VOCABULARY, VOCABULARY))]
    previous = VOCABULARY
    for case, text, length, vocabulary in cases:
        got = as_int_list(
            learner.call("vectorize", text, list(vocabulary), length, case=f"{text!r}, length={length}"), case
        )
        options = {"length": length, "vocabulary": vocabulary}
        mistakes = {
            "by giving unknown words id 0, the padding id (TextVectorization gives them 1, [UNK])": reference(
                text, unknown=0, **options
            ),
            "by keeping the last `length` words instead of the first": reference(text, keep_last=True, **options),
            "by padding at the front instead of the end": reference(text, pad_front=True, **options),
            "without standardizing the text first (lower case, <br />, punctuation)": reference(
                text, raw=True, **options
            ),
        }
        if vocabulary is not previous:
            mistakes[
                "by keeping the word -> id dictionary from an earlier call: build it from the `vocabulary` "
                "argument on every call"
            ] = reference(text, length, vocabulary=previous)
        expected = reference(text, **options)
        what = (
            f"vectorize({text!r}, vocabulary, {length})"
            if vocabulary is VOCABULARY
            else f"vectorize({text!r}, {vocabulary}, {length})"
        )
        named = suspects.named(got, expected, mistakes)
        # a cached vocabulary shows only when the vocabulary changes: a right answer before that rules nothing out
        suspects.ruled_out -= {d for d in suspects.ruled_out if "earlier call" in d}
        expect_equal(got, expected, what, case=case, mistakes=named, axes="position")
        previous = vocabulary
    return (
        f"vectorize gives TextVectorization's ids on {len(cases)} reviews (padding, truncation, [UNK], "
        "punctuation, empty, a vocabulary that changes between calls)."
    )
