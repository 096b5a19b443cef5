# WRONG: end inclusive (index of the last word) instead of exclusive. Distinguishing: ["B-PER","I-PER","O"] -> ("PER",0,1) vs ("PER",0,2).
def iob_to_spans(tags):
    spans, cur, start = [], None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        cont = prefix == "I" and kind == cur
        if cur is not None and not cont:
            spans.append((cur, start, i - 1)); cur = None
        if prefix in ("B", "I") and not cont:
            cur, start = kind, i
    return spans
