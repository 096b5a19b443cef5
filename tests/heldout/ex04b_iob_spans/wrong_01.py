# WRONG: B-X directly after an X entity continues it instead of starting a new entity. Distinguishing: ["B-PER","B-PER"] -> [("PER",0,2)] vs [("PER",0,1),("PER",1,2)].
def iob_to_spans(tags):
    spans, cur, start = [], None, 0
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        if cur is not None and kind != cur:
            spans.append((cur, start, i)); cur = None
        if prefix in ("B", "I") and cur is None:
            cur, start = kind, i
    return spans
