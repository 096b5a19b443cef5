# RIGHT: index loop with split("-", 1).
def iob1_to_iob2(tags):
    result = list(tags)
    for i in range(len(result)):
        parts = result[i].split("-", 1)
        if parts[0] != "I":
            continue
        before = tags[i - 1].split("-", 1) if i > 0 else ["O"]
        before_type = before[1] if len(before) == 2 else None
        if before_type != parts[1]:
            result[i] = "B-" + parts[1]
    return result
