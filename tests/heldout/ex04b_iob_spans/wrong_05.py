# WRONG: an I- tag continues the current entity whatever its type. Distinguishing: ["B-PER","I-LOC"] -> [("PER",0,2)] vs [("PER",0,1),("LOC",1,2)].
def iob_to_spans(tags):
    spans, cur, start = [], None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        cont = prefix == "I" and cur is not None
        if cur is not None and not cont:
            spans.append((cur, start, i)); cur = None
        if prefix in ("B", "I") and not cont:
            cur, start = kind, i
    return spans
