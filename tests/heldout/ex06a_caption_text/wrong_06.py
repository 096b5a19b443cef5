# WRONG: cuts at list(ids).index(end_id): ValueError when the row has no [end] (cut at max length). Distinguishing: ids [2,4,5], words ["", "[unk]", "[start]", "[end]", "a", "dog", "runs"], start 2, end 3.
def caption_text(ids, words, start_id, end_id):
    ids = list(ids)
    ids = ids[: ids.index(end_id)]
    return " ".join(words[i] for i in ids if i not in (0, start_id))
