"""Exercise ex06a (lesson 06): from word ids back to a caption.

The caption model writes word ids. Before anyone (or BLEU) can read a caption, the ids must
become text, and not every id is a word of the caption:

    ids:      [start] a   dog runs  on  the grass [end] the  dog  0   0
    caption:  "a dog runs on the grass"

  - 0 is padding and [start] is the decoder's first input: neither is part of the caption.
    Skip them wherever they are: a raw argmax row may even hold a 0 before [end] (it does not end
    the caption);
  - [end] is where the caption stops: whatever comes after it (more words, more [end]s,
    padding) is not part of it. A row may have no [end] at all (the decoder was cut at its
    maximum length): then every word counts;
  - [unk] (a word too rare for the vocabulary) stays: it is what the model wrote.
Lesson 06's vocabulary puts them first: words[0] == "" (padding), words[1] == "[unk]",
words[start_id] == "[start]", words[end_id] == "[end]". Another vocabulary may put [start] and
[end] elsewhere (padding is always 0): use start_id and end_id, not the numbers 2 and 3.

    ids       a list or 1-D array of int word ids
    words     the vocabulary: words[i] is the word with id i
    start_id  the id of [start];  end_id  the id of [end]
Return the caption: its words joined by single spaces ("" when there are none).

Your task: write `caption_text`.
Check it:  make check EX=ex06a        Stuck?  make hint EX=ex06a
"""


def caption_text(ids, words, start_id, end_id):
    """The words of the caption, up to the first [end], without [start] and padding, joined by spaces."""
    # TODO: walk through the ids: stop at end_id, skip 0 and start_id, collect the words;
    #       then join them with spaces.
    # BEGIN SOLUTION
    caption = []
    for i in ids:
        if i == end_id:
            break
        if i not in (0, start_id):
            caption.append(words[i])
    return " ".join(caption)
    # END SOLUTION
