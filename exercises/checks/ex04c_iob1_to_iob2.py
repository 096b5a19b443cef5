"""Check for ex04c: IOB1 to IOB2 on the cases that trip people up (the tests compare with course_utils.conll)."""

import numpy as np

from exercises.checking import CheckFailed, expect_equal

TITLE = "IOB1 tags (CoNLL-2003) to IOB2"
HINTS = (
    "Only I- tags can change. Whether one does depends on the tag just before it: an I-X continues an "
    "entity only if the previous tag had the same type X (I-X or B-X). Otherwise it begins one, so it "
    'must become B-X. Keep the previous tag\'s type in a variable as you go ("" for O or at the start).',
    '    converted, previous_type = [], ""\n'
    "    for tag in tags:\n"
    '        prefix, _, kind = tag.partition("-")    # "I-PER" -> ("I", "-", "PER"); "O" -> kind ""\n'
    '        if prefix == "I" and ...:              # when does an I- begin an entity?\n'
    '            tag = "B-" + kind\n'
    "        converted.append(tag)\n"
    "        previous_type = ...\n"
    "    return converted",
)

CASES = [
    ("an entity at the start", "I-PER I-PER O", "B-PER I-PER O"),
    ("after O", "O I-LOC I-LOC O I-ORG", "O B-LOC I-LOC O B-ORG"),
    ("two touching entities of one type (the only B- in IOB1)", "I-PER B-PER I-PER", "B-PER B-PER I-PER"),
    ("two touching entities of different types", "I-ORG I-LOC I-LOC", "B-ORG B-LOC I-LOC"),
    ("already IOB2: nothing changes", "B-MISC I-MISC O B-PER", "B-MISC I-MISC O B-PER"),
    ("an O between two entities of one type: the second begins a new entity", "I-PER O I-PER", "B-PER O B-PER"),
    (
        "the same type on both sides of an O, in a longer sentence",
        "O I-LOC I-LOC O I-LOC I-LOC O I-ORG",
        "O B-LOC I-LOC O B-LOC I-LOC O B-ORG",
    ),
    (
        "types other than CoNLL's four (OntoNotes has GPE, DATE, WORK_OF_ART...)",
        "I-GPE I-GPE O I-DATE I-WORK_OF_ART B-WORK_OF_ART",
        "B-GPE I-GPE O B-DATE B-WORK_OF_ART B-WORK_OF_ART",
    ),
    ("no entities", "O O", "O O"),
    ("an empty sentence", "", ""),
]


TYPES = ("PER", "LOC", "ORG", "MISC")
OTHER_TYPES = ("GPE", "DATE", "NORP", "WORK_OF_ART")  # OntoNotes': a tagger may use any type names


def reference(tags):
    converted, previous_type = [], ""
    for tag in tags:
        prefix, _, kind = tag.partition("-")
        converted.append("B-" + kind if prefix == "I" and kind != previous_type else tag)
        previous_type = kind
    return converted


def random_cases(count=40, seed=4):
    """IOB1 sentences as CoNLL-2003 has them: runs of I-X, O between them, B-X between touching runs of X."""
    rng = np.random.default_rng(seed)
    cases = []
    for number in range(count):
        tags, previous = [], "O"
        for _ in range(int(rng.integers(1, 13))):
            if rng.random() < 0.4:
                tag = "O"
            else:
                kinds = OTHER_TYPES if number % 4 == 3 else TYPES
                kind = kinds[int(rng.integers(0, 2 if number % 2 else 4))]  # few types: many repeats across an O
                tag = "B-" + kind if previous[2:] == kind and rng.random() < 0.3 else "I-" + kind
            tags.append(tag)
            previous = tag
        text = " ".join(tags)
        cases.append((f"random sentence {number + 1}", text, " ".join(reference(tags))))
    return cases


def every_i_to_b(tags):
    return ["B-" + t[2:] if t.startswith("I-") else t for t in tags]


def only_after_o(tags):
    out, previous = [], "O"
    for tag in tags:
        out.append("B-" + tag[2:] if tag.startswith("I-") and previous == "O" else tag)
        previous = tag
    return out


MISTAKES = {
    "by turning every I- into B-": every_i_to_b,
    "by changing an I- only after O or at the start (an I-LOC right after I-ORG begins a new entity too)": only_after_o,
    "by leaving the tags unchanged": list,
}


def check(learner):
    cases = CASES + random_cases()
    results = []
    for case, text, _ in cases:
        tags = text.split()
        got = learner.call("iob1_to_iob2", list(tags), case=repr(tags))
        if got is not None and not isinstance(got, (list, tuple)):
            raise CheckFailed(f"case: {case}\niob1_to_iob2 should return a list of tags; it returned {got!r}")
        results.append(list(got) if isinstance(got, (list, tuple)) else got)  # a copy: later calls cannot change it
    # name a mistake only when it explains every answer, right and wrong alike, and no other one does
    fits = [
        d
        for d, mistake in MISTAKES.items()
        if all(mistake(text.split()) == got for (_, text, _), got in zip(cases, results))
    ]
    for (case, text, want), got in zip(cases, results):
        tags = text.split()
        mistakes = {fits[0]: MISTAKES[fits[0]](tags)} if len(fits) == 1 else {}
        again = lambda tags=tags: learner.call_fresh("iob1_to_iob2", list(tags), case=repr(tags))
        expect_equal(got, want.split(), f"iob1_to_iob2({tags})", case=case, mistakes=mistakes, axes="tag", again=again)
    return (
        f"iob1_to_iob2 is right on {len(CASES)} tag sequences (starts, type changes, touching entities, "
        f"I-X O I-X, IOB2 input, any type name) and {len(cases) - len(CASES)} random CoNLL-like sentences."
    )
