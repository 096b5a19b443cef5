# WRONG: builds the string by appending word + " ", leaving a trailing space. Distinguishing: ids [2,4,3], words ["", "[unk]", "[start]", "[end]", "a", "dog", "runs"], start 2, end 3 -> "a " vs "a".
def caption_text(ids, words, start_id, end_id):
    text = ""
    for i in ids:
        if i == end_id:
            break
        if i in (0, start_id):
            continue
        text += words[i] + " "
    return text
