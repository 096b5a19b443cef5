# WRONG: assumes the row always begins with [start] and drops the first id unconditionally. Distinguishing: ids [4,5,3], words ["", "[unk]", "[start]", "[end]", "a", "dog", "runs"], start 2, end 3 -> "dog" vs "a dog".
def caption_text(ids, words, start_id, end_id):
    out = []
    for i in list(ids)[1:]:
        if i == end_id:
            break
        if i != 0:
            out.append(words[i])
    return " ".join(out)
