# WRONG: compares the whole previous tag, not its type, so I-X after B-X becomes B-X. Distinguishing: ["I-LOC","B-LOC","I-LOC"] -> [...,"B-LOC"] vs [...,"I-LOC"].
def iob1_to_iob2(tags):
    out, prev = [], "O"
    for tag in tags:
        if tag.startswith("I-") and tag != prev:
            out.append("B-" + tag[2:])
        else:
            out.append(tag)
        prev = tag
    return out
