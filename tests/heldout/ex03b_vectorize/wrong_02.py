# WRONG: keeps the last `length` ids when truncating. Distinguishing: 'the movie was', vocab ["", "[UNK]", "the", "movie", "was", "great", "!"], length 2 -> [3,4] vs [2,3].

import re


def standardize(text):
    """Lower case, '<br />' to a space, ! and ? kept as words, other punctuation to spaces."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)  # quotes go, the apostrophe in "don't" stays

def vectorize(text, vocabulary, length):
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = [index.get(w, 1) for w in standardize(text).split()]
    ids = ids[-length:] if len(ids) > length else ids
    return ids + [0] * (length - len(ids))
