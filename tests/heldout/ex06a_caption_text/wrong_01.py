# WRONG: skips [end] instead of stopping there, so words after it are kept. Distinguishing: ids [2,4,5,3,5,0], words ["", "[unk]", "[start]", "[end]", "a", "dog", "runs"], start 2, end 3 -> "a dog dog" vs "a dog".
def caption_text(ids, words, start_id, end_id):
    return " ".join(words[i] for i in ids if i not in (0, start_id, end_id))
