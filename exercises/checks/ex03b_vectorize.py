"""Check for ex03b: text to fixed-length ids, as TextVectorization does (the tests compare with it)."""

import re

import numpy as np

from exercises.checking import CheckFailed, expect_equal

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
VOCABULARY = ["", "[UNK]", "the", "a", "movie", "and", "is", "was", "not", "good", "great", "bad", "this", "i",
              "it", "plot", "acting", "loved", "boring", "don't", "!", "?"]

CASES = [
    ("a short review, padded", "this movie was great", 8),
    ("capitals, punctuation and a line break", "Great ACTING!<br />The plot, though... was BAD.", 10),
    ("unknown words get 1 ([UNK])", "the cinematography was breathtaking and the score sublime", 9),
    ("a long review, cut to the first 6 ids", "i loved it and i loved the acting and the plot is not boring", 6),
    ("quotes go, an apostrophe inside a word stays", "I don't think 'it' is good?!", 9),
    ("an empty review", "", 4),
]


def standardize(text):
    """Lesson 03's clean_text (course_utils.text), in Python; the tests check that the two agree."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)


def reference(text, length, unknown=1, keep_last=False, pad_front=False, raw=False):
    index = {w: i for i, w in enumerate(VOCABULARY)}
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
    for case, text, length in CASES:
        got = as_int_list(learner.call("vectorize", text, list(VOCABULARY), length, case=f"{text!r}, length={length}"),
                          case)
        mistakes = {
            "by giving unknown words id 0, the padding id (TextVectorization gives them 1, [UNK])":
                reference(text, length, unknown=0),
            "by keeping the last `length` words instead of the first": reference(text, length, keep_last=True),
            "by padding at the front instead of the end": reference(text, length, pad_front=True),
            "without standardizing the text first (lower case, <br />, punctuation)": reference(text, length, raw=True),
        }
        expect_equal(got, reference(text, length), f"vectorize({text!r}, vocabulary, {length})", case=case,
                     mistakes=mistakes)
    return f"vectorize gives TextVectorization's ids on {len(CASES)} reviews (padding, truncation, [UNK], " \
        "punctuation, empty)."
