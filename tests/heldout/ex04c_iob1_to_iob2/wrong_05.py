# WRONG: only knows the CoNLL-2003 types PER/LOC/ORG/MISC (hard-coded); any other type is left alone. Distinguishing: ["I-GPE"] -> ["I-GPE"] vs ["B-GPE"].
TYPES = ("PER", "LOC", "ORG", "MISC")
def iob1_to_iob2(tags):
    out, prev = [], ""
    for tag in tags:
        kind = tag[2:]
        if kind in TYPES and tag[0] == "I" and kind != prev:
            tag = "B-" + kind
        out.append(tag)
        prev = kind
    return out
