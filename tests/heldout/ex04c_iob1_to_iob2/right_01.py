# RIGHT: zip with the previous tag, list comprehension.
def iob1_to_iob2(tags):
    tags = list(tags)
    prev_types = [""] + [t.partition("-")[2] for t in tags[:-1]]
    return ["B-" + t[2:] if t.startswith("I-") and t[2:] != p else t for t, p in zip(tags, prev_types)]
