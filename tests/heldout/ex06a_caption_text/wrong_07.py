# WRONG: stops at the first padding 0 as well as at [end]. Distinguishing: ids [2,0,4,3], words ["", "[unk]", "[start]", "[end]", "a", "dog", "runs"], start 2, end 3 -> "" vs "a".
def caption_text(ids, words, start_id, end_id):
    out = []
    for i in ids:
        if i in (end_id, 0):
            break
        if i != start_id:
            out.append(words[i])
    return " ".join(out)
