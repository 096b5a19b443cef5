# WRONG: reads tags[0] before the loop to initialise the state: IndexError on an empty sentence. Distinguishing: [] -> IndexError instead of [].
def iob_to_spans(tags):
    first = tags[0]
    cur = first[2:] if first != "O" else None
    start, spans = 0, []
    for i in range(1, len(tags) + 1):
        tag = tags[i] if i < len(tags) else "O"
        prefix, kind = tag[:1], tag[2:]
        cont = prefix == "I" and kind == cur
        if cur is not None and not cont:
            spans.append((cur, start, i)); cur = None
        if prefix in ("B", "I") and not cont:
            cur, start = kind, i
    return spans
