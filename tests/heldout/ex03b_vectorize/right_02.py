# RIGHT: itertools chain/repeat/islice, a lazy pipeline.

import re


def standardize(text):
    """Lower case, '<br />' to a space, ! and ? kept as words, other punctuation to spaces."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)  # quotes go, the apostrophe in "don't" stays

from itertools import chain, islice, repeat

def vectorize(text, vocabulary, length):
    ids = {word: i for i, word in enumerate(vocabulary)}
    tokens = (ids[w] if w in ids else 1 for w in standardize(text).split())
    return list(islice(chain(tokens, repeat(0)), length))
