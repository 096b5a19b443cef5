# WRONG: converts in place and returns the caller's list. Distinguishing: tags=["I-PER"]: the caller's list becomes ["B-PER"].
def iob1_to_iob2(tags):
    prev = ""
    for i, tag in enumerate(tags):
        prefix, _, kind = tag.partition("-")
        if prefix == "I" and kind != prev:
            tags[i] = "B-" + kind
        prev = kind
    return tags
