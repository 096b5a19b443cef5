"""Exercise ex04b (lesson 04): from IOB2 tags to entity spans.

Named-entity taggers label each word: B-X begins an entity of type X, I-X continues it (inside),
O is outside any entity. What a user (and the CoNLL F1 score) wants is the list of entities:

    words:  Angela Merkel visited New  York  .
    tags:   B-PER  I-PER  O       B-LOC I-LOC O
    spans:  [("PER", 0, 2), ("LOC", 3, 5)]        (type, start, end), end exclusive: words[start:end]

The rules, as the CoNLL evaluation script applies them:
  - B-X always starts a new entity of type X (even right after another X entity);
  - I-X continues the current entity if it has type X; an I-X with no entity of type X to
    continue (at the start, after O, or after another type) starts a new one;
  - O ends the current entity, and so does the end of the sentence.

    tags  a list of strings such as "B-PER", "I-LOC", "O"
Return the list of (type, start, end) tuples, in order.

Your task: write `iob_to_spans`.
Check it:  make check EX=ex04b        Stuck?  make hint EX=ex04b
"""


def iob_to_spans(tags):
    """The entities in an IOB2 tag sequence, as (type, start, end) tuples with end exclusive."""
    # TODO: walk through the tags keeping the current entity's type and start;
    #       close it (append a tuple) whenever it ends.
    # BEGIN SOLUTION
    spans = []
    current, start = None, 0
    for i, tag in enumerate(list(tags) + ["O"]):  # a final "O" closes an entity at the end
        prefix, _, kind = tag.partition("-")
        continues = prefix == "I" and kind == current
        if current is not None and not continues:
            spans.append((current, start, i))
            current = None
        if prefix in ("B", "I") and not continues:
            current, start = kind, i
    return spans
    # END SOLUTION
