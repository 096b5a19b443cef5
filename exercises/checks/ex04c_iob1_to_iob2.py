"""Check for ex04c: IOB1 to IOB2 on the cases that trip people up (the tests compare with course_utils.conll)."""

from exercises.checking import CheckFailed, expect_equal

TITLE = "IOB1 tags (CoNLL-2003) to IOB2"
HINTS = (
    "Only I- tags can change. Whether one does depends on the tag just before it: an I-X continues an "
    "entity only if the previous tag had the same type X (I-X or B-X). Otherwise it begins one, so it "
    "must become B-X. Keep the previous tag's type in a variable as you go (\"\" for O or at the start).",
    "    converted, previous_type = [], \"\"\n"
    "    for tag in tags:\n"
    "        prefix, _, kind = tag.partition(\"-\")    # \"I-PER\" -> (\"I\", \"-\", \"PER\"); \"O\" -> kind \"\"\n"
    "        if prefix == \"I\" and ...:              # when does an I- begin an entity?\n"
    "            tag = \"B-\" + kind\n"
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
    ("no entities", "O O", "O O"),
    ("an empty sentence", "", ""),
]


def every_i_to_b(tags):
    return ["B-" + t[2:] if t.startswith("I-") else t for t in tags]


def only_after_o(tags):
    out, previous = [], "O"
    for tag in tags:
        out.append("B-" + tag[2:] if tag.startswith("I-") and previous == "O" else tag)
        previous = tag
    return out


def check(learner):
    for case, text, want in CASES:
        tags = text.split()
        got = learner.call("iob1_to_iob2", list(tags), case=repr(tags))
        if got is not None and not isinstance(got, (list, tuple)):
            raise CheckFailed(f"case: {case}\niob1_to_iob2 should return a list of tags; it returned {got!r}")
        mistakes = {
            "by turning every I- into B-": every_i_to_b(tags),
            "by changing an I- only after O or at the start (an I-LOC right after I-ORG begins a new entity too)":
                only_after_o(tags),
            "by leaving the tags unchanged": tags,
        }
        expect_equal(list(got) if isinstance(got, tuple) else got, want.split(), f"iob1_to_iob2({tags})",
                     case=case, mistakes=mistakes)
    return f"iob1_to_iob2 is right on {len(CASES)} tag sequences (starts, type changes, touching entities, IOB2 input)."
