"""Quiz 2 (after lesson 07): beam search over a character language model.

Lesson 07 writes text one character at a time; lesson 05's beam search keeps the k most likely
partial outputs instead of committing to one. Put the two together: after a prime, find a likely
continuation of `length` characters by beam search.

The model is a function `step(token_id, state) -> (logits, new_state)`, as in ex07c: it reads ONE
character id of ONE text and returns the logits of the next character (unnormalised scores, an
array of shape (vocabulary,)) and its new state. The state is the model's memory of what it has
read (a hidden-state vector, or the last characters): never look inside it or change it, just
pass it back to `step`. Each beam is a different text, so each beam has its own state.

    step        the model, as above
    state       its initial state (pass it to the first call)
    prime_ids   a non-empty list of character ids to read first, in order
    beam_width  k >= 1: how many partial continuations (beams) to keep
    length      how many new characters to write (>= 1)

1. Read every prime id in order, carrying the state (as in ex07c). That gives ONE beam: the empty
   continuation, with score 0, the logits after the last prime id, and the state.
2. `length` times: extend every beam b by every character c. The candidate's score is
       score[b] + log_softmax(logits[b])[c]
   (`log_softmax`, given below, turns logits into log-probabilities, which add up: not the raw
   logits, and not probabilities multiplied, which underflow to 0 on a long text). Of ALL the
   candidates together (every beam times every character) keep the k with the highest scores, best
   first (all of them when there are fewer than k, as at the first step). Each kept candidate is a
   new beam: feed its character to `step` with the state of the beam it extends, which gives the
   new beam's logits and state. (After the last character there is nothing left to feed.)
3. Return `(ids, score)` of the best beam: `ids` a list of its `length` new character ids (without
   the prime), `score` a float, their total log-probability given the prime.
Order and ties: candidates are ranked by score; equal scores go by the beam they extend (beams in
their kept order, best first), then by character id; the best beam is the first of the highest
score. (The check's cases have no ties that change the answer.)
Do not modify the arguments you are given.

The check runs it on two models: character trigram counts of tiny Shakespeare (a count-based model
whose state holds the last two characters; `make lesson07` downloads the text) and a small RNN with
random weights whose state is its hidden vector. It compares with brute force over every
continuation, with greedy decoding (beam_width 1), and on a continuation of 1200 characters.

Your task: write `beam_search`.
Check it:  make check EX=quiz2        Stuck?  make hint EX=quiz2
"""

import numpy as np


def log_softmax(logits):
    """Log-probabilities from logits along the last axis (the log of softmax, computed stably)."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def beam_search(step, state, prime_ids, beam_width, length):
    """Read `prime_ids`, then the best continuation of `length` ids found with `beam_width` beams, and its score."""
    # TODO: read the prime (one beam: score 0, its logits and state); then `length` times rank all
    #       beam x character candidates by score + log_softmax(logits), keep the best k, and feed each
    #       kept character to `step` with the state of the beam it came from. Return the best beam.
    # BEGIN SOLUTION
    for token in prime_ids:
        logits, state = step(token, state)
    beams = [([], 0.0, logits, state)]  # (ids, score, logits for the next character, state)
    for position in range(length):
        scores = np.array([score for _, score, _, _ in beams])
        candidates = scores[:, None] + log_softmax(np.stack([logits for _, _, logits, _ in beams]))
        vocab = candidates.shape[1]
        best = np.argsort(-candidates.reshape(-1), kind="stable")[:beam_width]
        new_beams = []
        for index in best:
            origin, char = divmod(int(index), vocab)
            ids, _, _, origin_state = beams[origin]
            score = float(candidates[origin, char])
            if position + 1 < length:
                new_logits, new_state = step(char, origin_state)
            else:
                new_logits, new_state = None, None
            new_beams.append((ids + [char], score, new_logits, new_state))
        beams = new_beams
    ids, score, _, _ = beams[0]
    return ids, score
    # END SOLUTION
