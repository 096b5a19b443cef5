# WRONG: drops [unk] (id 1) too. Distinguishing: ids [2,4,1,3], words ["", "[unk]", "[start]", "[end]", "a", "dog", "runs"], start 2, end 3 -> "a" vs "a [unk]".
def caption_text(ids, words, start_id, end_id):
    out = []
    for i in ids:
        if i == end_id:
            break
        if i not in (0, 1, start_id):
            out.append(words[i])
    return " ".join(out)
