"""Check for ex06a: word ids to caption text on the kinds of rows lesson 06 meets: decoder output,
a teacher-forcing row with padding, a raw argmax row that goes on after [end], [unk], an empty caption
and a caption cut at the maximum length. The tests check the reference against lesson 06's Vocab.decode."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_equal

TITLE = "word ids to a caption (stop at [end])"
HINTS = (
    "One loop over the ids with a list of words: break out of the loop at the first end_id (nothing after "
    "it counts), skip 0 and start_id, and append words[i] for every other id, [unk] included. "
    "\" \".join(list_of_words) puts single spaces between them.",
    "    caption = []\n"
    "    for i in ids:\n"
    "        if i == end_id:\n"
    "            ...                              # the caption is over\n"
    "        if i not in (0, start_id):\n"
    "            caption.append(...)\n"
    "    return \" \".join(caption)",
)
# lesson 06's layout: padding, [unk], [start], [end], then the words by frequency
WORDS = ["", "[unk]", "[start]", "[end]", "a", "in", "the", "on", "is", "dog", "man", "of", "with", "and", "two",
         "dogs", "black", "white", "girl", "grass", "runs", "through", "water", "red", "shirt", "playing", "ball",
         "jumps"]
INDEX = {w: i for i, w in enumerate(WORDS)}
START, END = INDEX["[start]"], INDEX["[end]"]
CASES = [  # (description, the row as words; "_" is padding)
    ("a decoded caption: no [start], no [end]", "a black dog runs through the grass"),
    ("a training row: [start] ... [end] and padding", "[start] a man in a red shirt [end] _ _ _"),
    ("words after the only [end], then padding", "[start] a dog runs [end] on the grass _ _"),
    ("raw argmax output that goes on after [end]", "[start] two dogs playing on the grass [end] the dog [end] [end]"),
    ("a word the vocabulary did not know", "[start] a [unk] jumps in the water [end] _"),
    ("an empty caption", "[start] [end] _ _ _"),
    ("a row of a padded batch of decoded captions (no [end])", "a man jumps in the water _ _ _"),
    ("no [end]: cut at the maximum length, as a NumPy array", "[start] a girl with a ball and a white dog and"),
]


def ids_of(text):
    return [0 if w == "_" else INDEX[w] for w in text.split()]


def reference(ids, *, stop=True, last_end=False, keep_unk=True, keep_start=False, keep_pad=False):
    ids = [int(i) for i in ids]
    if last_end and END in ids:
        ids = ids[: len(ids) - 1 - ids[::-1].index(END)]
    words = []
    for i in ids:
        if i == END:
            if stop:
                break
            continue
        if (i == 0 and not keep_pad) or (i == START and not keep_start) or (i == 1 and not keep_unk):
            continue
        words.append(WORDS[i])
    return " ".join(words)


def check(learner):
    suspects = Suspects(atol=None)
    for case, text in CASES:
        ids = ids_of(text)
        given = np.array(ids, dtype=np.int32) if "NumPy" in case else list(ids)
        got = learner.call("caption_text", given, list(WORDS), START, END, case=f"{case}: {text}")
        if got is not None and not isinstance(got, str):
            raise CheckFailed(f"case: {case}\ncaption_text should return a string; it returned "
                              f"{type(got).__name__}: {got!r}")
        mistakes = {
            "by dropping the [end] tokens but going on: the caption stops at the first [end]":
                reference(ids, stop=False),
            "by cutting at the last [end] instead of the first": reference(ids, last_end=True, stop=False),
            "by keeping the [start] token": reference(ids, keep_start=True),
            "by dropping [unk]: it is a word the model wrote, and it stays": reference(ids, keep_unk=False),
            "by joining the padding too (it is the empty word \"\", so it leaves extra spaces)":
                reference(ids, keep_pad=True),
        }
        expected = reference(ids)
        expect_equal(got, expected, f"caption_text({ids}, words, start_id={START}, end_id={END})",
                     case=f"{case}, the ids as words: {text}", mistakes=suspects.named(got, expected, mistakes))
    return f"caption_text stops at the first [end], drops [start] and padding and keeps [unk], on {len(CASES)} rows."
