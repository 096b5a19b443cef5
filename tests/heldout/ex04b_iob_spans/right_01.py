# RIGHT: while loop that scans each entity to its end.
def iob_to_spans(tags):
    tags = list(tags)
    spans, i, n = [], 0, len(tags)
    while i < n:
        if tags[i] == "O":
            i += 1
            continue
        kind = tags[i][2:]
        j = i + 1
        while j < n and tags[j] == "I-" + kind:
            j += 1
        spans.append((kind, i, j))
        i = j
    return spans
