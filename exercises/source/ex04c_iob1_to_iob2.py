"""Exercise ex04c (lesson 04): convert IOB1 tags to IOB2.

CoNLL-2003, lesson 04's NER data, is tagged in IOB1: an entity's words are all I-X, and B-X is
used only for an entity that directly follows another entity of the same type. IOB2, which the
entity spans of ex04b and most tools expect, starts *every* entity with B-X:

    IOB1:  I-PER I-PER O I-LOC B-LOC I-ORG
    IOB2:  B-PER I-PER O B-LOC B-LOC B-ORG

The rule: an I-X becomes B-X when the tag before it is not of type X (it is O, another type, or
there is no tag before it). Every other tag stays as it is (so IOB2 input comes back unchanged).

    tags  a list of strings such as "I-PER", "B-LOC", "O"
Return a new list of the same length.

Your task: write `iob1_to_iob2`.
Check it:  make check EX=ex04c        Stuck?  make hint EX=ex04c
"""


def iob1_to_iob2(tags):
    """The same tags in IOB2: every entity begins with B-."""
    # TODO: walk through the tags remembering the previous tag's type ("" for O);
    #       an I- whose type differs from it becomes B-.
    # BEGIN SOLUTION
    converted = []
    previous_type = ""
    for tag in tags:
        prefix, _, kind = tag.partition("-")
        if prefix == "I" and kind != previous_type:
            tag = "B-" + kind
        converted.append(tag)
        previous_type = kind
    return converted
    # END SOLUTION
