# WRONG: drops unknown words instead of mapping them to 1. Distinguishing: 'the zebra movie', vocab ["", "[UNK]", "the", "movie", "was", "great", "!"], length 3 -> [2,3,0] vs [2,1,3].

import re


def standardize(text):
    """Lower case, '<br />' to a space, ! and ? kept as words, other punctuation to spaces."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)  # quotes go, the apostrophe in "don't" stays

def vectorize(text, vocabulary, length):
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = [index[w] for w in standardize(text).split() if w in index][:length]
    return ids + [0] * (length - len(ids))
