# WRONG: a mutable default accumulator that is never reset, so spans from earlier calls leak into later ones. Distinguishing: iob_to_spans(["B-PER"]) then iob_to_spans(["O"]) -> second returns [("PER",0,1)] not [].
def iob_to_spans(tags, _spans=[]):
    cur, start = None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        cont = prefix == "I" and kind == cur
        if cur is not None and not cont:
            _spans.append((cur, start, i)); cur = None
        if prefix in ("B", "I") and not cont:
            cur, start = kind, i
    return list(_spans)
