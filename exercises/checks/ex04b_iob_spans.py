"""Check for ex04b: IOB2 tags to (type, start, end) spans, on the cases the CoNLL scorer cares about."""

from exercises.checking import CheckFailed, expect_equal

TITLE = "IOB2 tags to entity spans"
HINTS = (
    "Keep two variables while you walk through the tags: the type of the entity you are inside (or None) "
    "and where it started. An entity ends when the tag is O, a B-, or an I- of another type; and the "
    "sentence's end closes the last one (appending an extra \"O\" to the tags is a neat way to do that).",
    "    spans, current, start = [], None, 0\n"
    "    for i, tag in enumerate(list(tags) + [\"O\"]):\n"
    "        prefix, _, kind = tag.partition(\"-\")     # \"B-PER\" -> (\"B\", \"-\", \"PER\")\n"
    "        continues = prefix == \"I\" and ...      # does this tag continue the current entity?\n"
    "        if current is not None and not continues:\n"
    "            spans.append(...)                  # the current entity ends before i\n"
    "            current = None\n"
    "        if prefix in (\"B\", \"I\") and not continues:\n"
    "            current, start = ..., ...          # a new entity starts at i\n"
    "    return spans",
)

CASES = [
    ("two entities", "B-PER I-PER O O B-LOC I-LOC O", [("PER", 0, 2), ("LOC", 4, 6)]),
    ("an entity that runs to the end of the sentence", "O B-ORG I-ORG I-ORG", [("ORG", 1, 4)]),
    ("one-word entities next to each other", "B-PER B-PER O B-LOC", [("PER", 0, 1), ("PER", 1, 2), ("LOC", 3, 4)]),
    ("I- with nothing to continue starts an entity", "I-MISC I-MISC O I-LOC", [("MISC", 0, 2), ("LOC", 3, 4)]),
    ("I- of another type starts a new entity", "B-PER I-PER I-LOC O", [("PER", 0, 2), ("LOC", 2, 3)]),
    ("a single tag", "B-LOC", [("LOC", 0, 1)]),
    ("no entities", "O O O", []),
    ("an empty sentence", "", []),
]


def shifted(spans, end_shift=0):
    return [(kind, start, end + end_shift) for kind, start, end in spans]


def normalise(got, case):
    if got is None:
        raise CheckFailed(f"case: {case}\niob_to_spans returned None: did you forget the `return`?")
    try:
        return [tuple(span) for span in got]
    except TypeError:
        raise CheckFailed(f"case: {case}\niob_to_spans should return a list of (type, start, end) tuples; "
                          f"it returned {got!r}") from None


def check(learner):
    for case, text, expected in CASES:
        tags = text.split()
        got = normalise(learner.call("iob_to_spans", list(tags), case=repr(tags)), case)
        mistakes = {
            "with inclusive end indices (end should be one past the last word, like words[start:end])":
                shifted(expected, -1),
            "by forgetting the entity that is still open at the end of the sentence":
                [s for s in expected if s[2] != len(tags)],
        }
        expect_equal(got, expected, f"iob_to_spans({tags})", case=case, mistakes=mistakes)
    return f"iob_to_spans is right on {len(CASES)} tag sequences (adjacent B-, stray I-, type changes, the end)."
