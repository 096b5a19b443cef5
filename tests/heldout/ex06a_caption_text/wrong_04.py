# WRONG: hard-codes start=2 and end=3 (lesson 06's layout) instead of using start_id/end_id. Distinguishing: words ["", "[unk]", "a", "[start]", "[end]"], start 3, end 4, ids [3,2,4] -> "a" expected.
def caption_text(ids, words, start_id, end_id):
    out = []
    for i in ids:
        if i == 3:
            break
        if i not in (0, 2):
            out.append(words[i])
    return " ".join(out)
