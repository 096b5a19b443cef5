# WRONG: forgets to close an entity that runs to the end of the sentence. Distinguishing: ["O","B-LOC","I-LOC"] -> [] vs [("LOC",1,3)].
def iob_to_spans(tags):
    spans, cur, start = [], None, 0
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        cont = prefix == "I" and kind == cur
        if cur is not None and not cont:
            spans.append((cur, start, i)); cur = None
        if prefix in ("B", "I") and not cont:
            cur, start = kind, i
    return spans
