# RIGHT: compares each tag with the previous one to find starts and ends.
def iob_to_spans(tags):
    out = []
    open_kind, open_start = None, None
    prev = "O"
    for pos, tag in enumerate(tags):
        kind = tag[2:] if tag != "O" else None
        starts = tag.startswith("B-") or (tag.startswith("I-") and (prev == "O" or prev[2:] != kind))
        if open_kind is not None and (starts or tag == "O"):
            out.append((open_kind, open_start, pos))
            open_kind = None
        if starts:
            open_kind, open_start = kind, pos
        prev = tag
    if open_kind is not None:
        out.append((open_kind, open_start, len(tags)))
    return out
