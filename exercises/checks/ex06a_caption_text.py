"""Check for ex06a: word ids to caption text on the kinds of rows lesson 06 meets: decoder output,
a teacher-forcing row with padding, a raw argmax row that goes on after [end], [unk], an empty caption
and a caption cut at the maximum length. The tests check the reference against lesson 06's Vocab.decode."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_equal

TITLE = "word ids to a caption (stop at [end])"
HINTS = (
    "One loop over the ids with a list of words: break out of the loop at the first end_id (nothing after "
    "it counts), skip 0 and start_id, and append words[i] for every other id, [unk] included. "
    '" ".join(list_of_words) puts single spaces between them.',
    "    caption = []\n"
    "    for i in ids:\n"
    "        if i == end_id:\n"
    "            ...                              # the caption is over\n"
    "        if i not in (0, start_id):\n"
    "            caption.append(...)\n"
    '    return " ".join(caption)',
)
# lesson 06's layout: padding, [unk], [start], [end], then the words by frequency
WORDS = [
    "",
    "[unk]",
    "[start]",
    "[end]",
    "a",
    "in",
    "the",
    "on",
    "is",
    "dog",
    "man",
    "of",
    "with",
    "and",
    "two",
    "dogs",
    "black",
    "white",
    "girl",
    "grass",
    "runs",
    "through",
    "water",
    "red",
    "shirt",
    "playing",
    "ball",
    "jumps",
]
START, END = WORDS.index("[start]"), WORDS.index("[end]")
# another tool's layout: [start] and [end] last, and ids 2 and 3 are words
OTHER = ["", "[unk]", "a", "the", "cat", "on", "mat", "sits", "dog", "[start]", "[end]"]
CASES = [  # (description, the row as words; "_" is padding)
    ("a decoded caption: no [start], no [end]", "a black dog runs through the grass"),
    ("a training row: [start] ... [end] and padding", "[start] a man in a red shirt [end] _ _ _"),
    ("words after the only [end], then padding", "[start] a dog runs [end] on the grass _ _"),
    ("raw argmax output that goes on after [end]", "[start] two dogs playing on the grass [end] the dog [end] [end]"),
    ("a word the vocabulary did not know", "[start] a [unk] jumps in the water [end] _"),
    ("an empty caption", "[start] [end] _ _ _"),
    ("a row of a padded batch of decoded captions (no [end])", "a man jumps in the water _ _ _"),
    ("no [end]: cut at the maximum length, as a NumPy array", "[start] a girl with a ball and a white dog and"),
    (
        "raw argmax output with a padding 0 before [end] (skip it: it does not end the caption)",
        "[start] a dog _ runs on the grass [end] _",
    ),
]
OTHER_CASES = [  # rows in the vocabulary OTHER
    ("another vocabulary: [start] is 9, [end] is 10", "[start] the cat sits on a mat [end] the dog _"),
    ("another vocabulary, no [end]", "[start] a dog on the mat _ _"),
]


def ids_of(text, words=WORDS):
    return [0 if w == "_" else words.index(w) for w in text.split()]


def reference(
    ids,
    words=WORDS,
    start=START,
    end=END,
    *,
    stop=True,
    last_end=False,
    keep_unk=True,
    keep_start=False,
    keep_pad=False,
    stop_at_pad=False,
):
    ids = [int(i) for i in ids]
    if last_end and end in ids:
        ids = ids[: len(ids) - 1 - ids[::-1].index(end)]
    caption = []
    for i in ids:
        if i == end or (i == 0 and stop_at_pad):
            if stop:
                break
            continue
        if (i == 0 and not keep_pad) or (i == start and not keep_start) or (i == 1 and not keep_unk):
            continue
        caption.append(words[i])
    return " ".join(caption)


def check(learner):
    suspects = Suspects(atol=None)
    rows = [(case, text, WORDS) for case, text in CASES] + [(case, text, OTHER) for case, text in OTHER_CASES]
    for case, text, words in rows:
        ids = ids_of(text, words)
        start, end = words.index("[start]"), words.index("[end]")
        given = np.array(ids, dtype=np.int32) if "NumPy" in case else list(ids)
        vocabulary = "" if words is WORDS else f", words={words}"
        got = learner.call("caption_text", given, list(words), start, end, case=f"{case}: {text}{vocabulary}")
        if got is not None and not isinstance(got, str):
            raise CheckFailed(
                f"case: {case}\ncaption_text should return a string; it returned {type(got).__name__}: {got!r}"
            )
        mistakes = {
            "by dropping the [end] tokens but going on: the caption stops at the first [end]": reference(
                ids, words, start, end, stop=False
            ),
            "by cutting at the last [end] instead of the first": reference(
                ids, words, start, end, last_end=True, stop=False
            ),
            "by keeping the [start] token": reference(ids, words, start, end, keep_start=True),
            "by dropping [unk]: it is a word the model wrote, and it stays": reference(
                ids, words, start, end, keep_unk=False
            ),
            'by joining the padding too (it is the empty word "", so it leaves extra spaces)': reference(
                ids, words, start, end, keep_pad=True
            ),
            "by stopping at a padding 0 too: only [end] ends the caption, a 0 is skipped": reference(
                ids, words, start, end, stop_at_pad=True
            ),
            f"by using lesson 06's ids {START} and {END} instead of start_id={start} and end_id={end}": reference(
                ids, words, START, END
            ),
        }
        expected = reference(ids, words, start, end)
        again = lambda given=given, words=words, start=start, end=end, label=f"{case}: {text}": learner.call_fresh(
            "caption_text", given.copy(), list(words), start, end, case=label
        )
        expect_equal(
            got,
            expected,
            f"caption_text({ids}, words, start_id={start}, end_id={end})",
            case=f"{case}, the ids as words: {text}{vocabulary}",
            mistakes=suspects.named(got, expected, mistakes),
            again=again,
        )
    return (
        f"caption_text stops at the first [end], drops [start] and padding (also before [end]) and keeps [unk], "
        f"on {len(rows)} rows in 2 vocabularies."
    )
