# RIGHT: NumPy zeros row filled in a loop that stops at `length`.

import re


def standardize(text):
    """Lower case, '<br />' to a space, ! and ? kept as words, other punctuation to spaces."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)  # quotes go, the apostrophe in "don't" stays

import numpy as np

def vectorize(text, vocabulary, length):
    lookup = dict(zip(vocabulary, range(len(vocabulary))))
    row = np.zeros(length, dtype=np.int64)
    for pos, word in enumerate(standardize(text).split()):
        if pos >= length:
            break
        row[pos] = lookup.get(word, 1)
    return row
