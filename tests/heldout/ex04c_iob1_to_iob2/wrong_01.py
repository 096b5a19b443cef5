# WRONG: remembers only the last entity type and does not reset it on O. Distinguishing: ["I-PER","O","I-PER"] -> ["B-PER","O","I-PER"] vs ["B-PER","O","B-PER"].
def iob1_to_iob2(tags):
    out, prev = [], ""
    for tag in tags:
        if tag == "O":
            out.append(tag)
            continue
        prefix, kind = tag[0], tag[2:]
        out.append("B-" + kind if prefix == "I" and kind != prev else tag)
        prev = kind
    return out
