# WRONG: pads at the front (pre-padding, the keras pad_sequences default). Distinguishing: 'the movie', vocab ["", "[UNK]", "the", "movie", "was", "great", "!"], length 4 -> [0,0,2,3] vs [2,3,0,0].

import re


def standardize(text):
    """Lower case, '<br />' to a space, ! and ? kept as words, other punctuation to spaces."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)  # quotes go, the apostrophe in "don't" stays

def vectorize(text, vocabulary, length):
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = [index.get(w, 1) for w in standardize(text).split()][:length]
    return [0] * (length - len(ids)) + ids
