# WRONG: strict IOB2: an I-X that does not continue an X entity is dropped instead of starting one. Distinguishing: ["O","I-LOC"] -> [] vs [("LOC",1,2)].
def iob_to_spans(tags):
    spans, cur, start = [], None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        if prefix == "I" and kind == cur:
            continue
        if cur is not None:
            spans.append((cur, start, i)); cur = None
        if prefix == "B":
            cur, start = kind, i
    return spans
