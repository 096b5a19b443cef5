"""Exercise ex05b (lesson 05): greedy decoding, one word at a time.

At test time there is no true French sentence to read: the decoder reads its own previous
word. Greedy decoding takes the single most likely word at every step and feeds it back in.
A whole batch of sentences is decoded at once, as greedy_search does in lesson 05.

The model is a function `step(tokens, state) -> (log_probs, new_state)`:
    tokens     an int array (batch_size,): the previous word of every sentence
    log_probs  an array (batch_size, vocabulary): log-probabilities of the next word
    state      whatever the model carries from step to step (pass it back; never look inside)

    step        the model, as above
    state       the initial state (the encoder's summary of the English sentences)
    batch_size  how many sentences are decoded together
    start_id    the first input of every sentence: [start]
    end_id      [end]: a sentence that writes it is finished
    max_length  at most this many steps (calls to step); a sentence that has not written
                [end] by then is cut there
The first input is [start] for every sentence; then each step's most likely word (the
argmax over the vocabulary, for every row) is both written and fed back in. A finished
sentence may be fed anything afterwards, but nothing it writes counts any more. Stop early
when every sentence is finished.

Return a list with one list of int word ids per sentence: the words written, without
[start] and without [end] (a sentence whose first word is [end] gives an empty list).

Your task: write `greedy_decode`.
Check it:  make check EX=ex05b        Stuck?  make hint EX=ex05b
"""

import numpy as np


def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    """The most likely word at every step, fed back in, until [end] or max_length; one id list per sentence."""
    # TODO: start every row at start_id; max_length times: call step, take the argmax of each
    #       row, note it for the rows not yet finished (or mark them finished on end_id),
    #       and feed the new words back in.
    # BEGIN SOLUTION
    tokens = np.full(batch_size, start_id)
    written = [[] for _ in range(batch_size)]
    finished = np.zeros(batch_size, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        tokens = np.argmax(log_probs, axis=-1)
        for row, token in enumerate(tokens):
            if finished[row]:
                continue
            if token == end_id:
                finished[row] = True
            else:
                written[row].append(int(token))
        if finished.all():
            break
    return written
    # END SOLUTION
