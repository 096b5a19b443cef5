# WRONG: an I- becomes B- only at the start or after O, not after another type. Distinguishing: ["I-PER","I-LOC"] -> ["B-PER","I-LOC"] vs ["B-PER","B-LOC"].
def iob1_to_iob2(tags):
    out = []
    for i, tag in enumerate(tags):
        if tag.startswith("I-") and (i == 0 or tags[i - 1] == "O"):
            tag = "B-" + tag[2:]
        out.append(tag)
    return out
