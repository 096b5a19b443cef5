"""Exercise ex03b (lesson 03): turn a review into a fixed-length row of token ids.

This is what lesson 03's `keras.layers.TextVectorization(output_sequence_length=length)` does to
each review, written out by hand:
  1. standardize: lower case, line breaks "<br />" become spaces, "!" and "?" become words of
     their own, other punctuation becomes a space (`standardize` is given; it is lesson 03's
     `clean_text` written with Python's re instead of TensorFlow's string ops);
  2. split on whitespace into words;
  3. look each word up in the vocabulary: its id is its position in the list;
     index 0 is "" (the padding id) and index 1 is "[UNK]", the id of every unknown word;
  4. keep the first `length` ids, and pad with 0 at the end up to exactly `length`.

    text        a string (a review)
    vocabulary  a list of words, as TextVectorization.get_vocabulary() returns it: ["", "[UNK]", "the", ...]
    length      the number of ids to return
Return a list of `length` ints (a 1-D integer NumPy array is fine too).

Your task: write `vectorize`. (Tip: build the word -> id dictionary once; a list's .index is slow.)
Check it:  make check EX=ex03b        Stuck?  make hint EX=ex03b
"""

import re


def standardize(text):
    """Lower case, '<br />' to a space, ! and ? kept as words, other punctuation to spaces."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    text = re.sub(r"([!?])", r" \1 ", text)
    text = re.sub(r"[^a-z0-9!?' ]", " ", text)
    return re.sub(r"'(\s|$)|(^|\s)'", " ", text)  # quotes go, the apostrophe in "don't" stays


def vectorize(text, vocabulary, length):
    """The first `length` token ids of `text`, padded with 0 at the end."""
    # TODO: standardize and split; map words to ids (1 for unknown words);
    #       cut to `length`; pad with zeros at the end.
    # BEGIN SOLUTION
    index = {word: i for i, word in enumerate(vocabulary)}
    ids = [index.get(word, 1) for word in standardize(text).split()][:length]
    return ids + [0] * (length - len(ids))
    # END SOLUTION
