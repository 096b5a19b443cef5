# WRONG: splits on a single space (str.split(" ")), so runs of spaces give "" tokens that map to id 0 (padding) inside the row. Distinguishing: "the, movie" -> standardize "the  movie" -> [2,0,3,0] vs [2,3,0,0] (vocab ["", "[UNK]", "the", "movie", ...], length 4).

import re


def standardize(text):
    """Lower case, '<br />' to a space, ! and ? kept as words, other punctuation to spaces."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)  # quotes go, the apostrophe in "don't" stays

def vectorize(text, vocabulary, length):
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = [index.get(w, 1) for w in standardize(text).strip().split(" ")][:length]
    return ids + [0] * (length - len(ids))
