"""Check for ex04b: IOB2 tags to (type, start, end) spans, on the cases the CoNLL scorer cares about."""

import numpy as np

from exercises.checking import CheckFailed, expect_equal

TITLE = "IOB2 tags to entity spans"
HINTS = (
    "Keep two variables while you walk through the tags: the type of the entity you are inside (or None) "
    "and where it started. An entity ends when the tag is O, a B-, or an I- of another type; and the "
    'sentence\'s end closes the last one (appending an extra "O" to the tags is a neat way to do that).',
    "    spans, current, start = [], None, 0\n"
    '    for i, tag in enumerate(list(tags) + ["O"]):\n'
    '        prefix, _, kind = tag.partition("-")     # "B-PER" -> ("B", "-", "PER")\n'
    '        continues = prefix == "I" and ...      # does this tag continue the current entity?\n'
    "        if current is not None and not continues:\n"
    "            spans.append(...)                  # the current entity ends before i\n"
    "            current = None\n"
    '        if prefix in ("B", "I") and not continues:\n'
    "            current, start = ..., ...          # a new entity starts at i\n"
    "    return spans",
)

CASES = [
    ("two entities", "B-PER I-PER O O B-LOC I-LOC O", [("PER", 0, 2), ("LOC", 4, 6)]),
    (
        "the same tags a second time: a new call starts afresh",
        "B-PER I-PER O O B-LOC I-LOC O",
        [("PER", 0, 2), ("LOC", 4, 6)],
    ),
    ("an entity that runs to the end of the sentence", "O B-ORG I-ORG I-ORG", [("ORG", 1, 4)]),
    ("one-word entities next to each other", "B-PER B-PER O B-LOC", [("PER", 0, 1), ("PER", 1, 2), ("LOC", 3, 4)]),
    ("I- with nothing to continue starts an entity", "I-MISC I-MISC O I-LOC", [("MISC", 0, 2), ("LOC", 3, 4)]),
    ("I- of another type starts a new entity", "B-PER I-PER I-LOC O", [("PER", 0, 2), ("LOC", 2, 3)]),
    ("an O between two entities of one type: two entities", "I-PER O I-PER", [("PER", 0, 1), ("PER", 2, 3)]),
    (
        "the same type on both sides of an O",
        "B-LOC I-LOC O I-LOC I-LOC O B-LOC",
        [("LOC", 0, 2), ("LOC", 3, 5), ("LOC", 6, 7)],
    ),
    ("a single tag", "B-LOC", [("LOC", 0, 1)]),
    (
        "types other than CoNLL's four (OntoNotes has GPE, DATE, WORK_OF_ART...)",
        "I-GPE O B-DATE I-DATE B-WORK_OF_ART",
        [("GPE", 0, 1), ("DATE", 2, 4), ("WORK_OF_ART", 4, 5)],
    ),
    ("no entities", "O O O", []),
    ("an empty sentence", "", []),
]


TYPES = ("PER", "LOC", "ORG", "MISC")
OTHER_TYPES = ("GPE", "DATE", "NORP", "WORK_OF_ART")  # OntoNotes': a tagger may use any type names


def reference(tags):
    spans, current, start = [], None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        continues = prefix == "I" and kind == current
        if current is not None and not continues:
            spans.append((current, start, i))
            current = None
        if prefix in ("B", "I") and not continues:
            current, start = kind, i
    return spans


def random_cases(count=40, seed=5):
    """Tag sequences a tagger might predict: any tag anywhere, with few types so that they repeat across an O."""
    rng = np.random.default_rng(seed)
    cases = []
    for number in range(count):
        kinds = (OTHER_TYPES if number % 4 == 3 else TYPES)[: 2 if number % 2 else 4]
        choices = ["O", "O"] + [p + k for k in kinds for p in ("B-", "I-", "I-")]
        tags = [choices[int(i)] for i in rng.integers(0, len(choices), size=int(rng.integers(1, 13)))]
        cases.append((f"random sentence {number + 1}", " ".join(tags), reference(tags)))
    return cases


def shifted(spans, end_shift=0):
    return [(kind, start, end + end_shift) for kind, start, end in spans]


def normalise(got, case):
    if got is None:
        raise CheckFailed(f"case: {case}\niob_to_spans returned None: did you forget the `return`?")
    try:
        return [tuple(span) for span in got]
    except TypeError:
        raise CheckFailed(
            f"case: {case}\niob_to_spans should return a list of (type, start, end) tuples; it returned {got!r}"
        ) from None


MISTAKES = {
    "with inclusive end indices (end should be one past the last word, like words[start:end])": lambda tags, expected: (
        shifted(expected, -1)
    ),
    "by forgetting the entity that is still open at the end of the sentence": lambda tags, expected: [
        s for s in expected if s[2] != len(tags)
    ],
}


def check(learner):
    cases = CASES + random_cases()
    results = []
    for case, text, _ in cases:
        tags = text.split()
        results.append(normalise(learner.call("iob_to_spans", list(tags), case=repr(tags)), case))
    # name a mistake only when it explains every answer, right and wrong alike, and no other one does
    fits = [
        d
        for d, mistake in MISTAKES.items()
        if all(mistake(text.split(), expected) == got for (_, text, expected), got in zip(cases, results))
    ]
    for (case, text, expected), got in zip(cases, results):
        tags = text.split()
        mistakes = {fits[0]: MISTAKES[fits[0]](tags, expected)} if len(fits) == 1 else {}
        again = lambda tags=tags, case=case: normalise(
            learner.call_fresh("iob_to_spans", list(tags), case=repr(tags)), case
        )
        expect_equal(got, expected, f"iob_to_spans({tags})", case=case, mistakes=mistakes, axes="span", again=again)
    return (
        f"iob_to_spans is right on {len(CASES)} tag sequences (adjacent B-, stray I-, type changes, I-X O I-X, "
        f"the end, any type name, a second call) and {len(cases) - len(CASES)} random ones."
    )
