"""Exercise ex05c (lesson 05): one step of beam search.

Greedy decoding commits to the best word at every step, and one early mistake spoils the
sentence. Beam search keeps the k best partial sentences (the "beams") instead. Each beam
has a score: the sum of the log-probabilities of its words so far, i.e. the log-probability
of the whole partial sentence. One step:

  1. every beam b is extended by every word w of the vocabulary; the candidate's score is
     scores[b] + log_probs[b, w] (the beam's score plus the new word's log-probability);
  2. of all the k * vocabulary candidates together, the k with the highest scores become the
     new beams, best first (a beam may leave several children, another none).

A finished beam (one that has written [end]) stays a candidate as it is: its only extension
is end_id, at no cost (its score stays the same), so it competes with the unfinished beams
and is kept exactly once if it is still among the best k.

    scores     a float array (k,): each beam's score; -inf for a beam slot that is not in use
               (at the first step only beam 0 is live: [0, -inf, -inf, ...])
    log_probs  a float array (k, vocabulary): the model's log-probabilities of the next word, per beam
    finished   a bool array (k,): which beams have already written [end]
    end_id     the id of [end]
Do not modify the arrays you are given.

Return three arrays of length k, best candidate first:
    origin      the beam each new beam extends (int)
    tokens      the word it adds (int)
    new_scores  its score
(The caller then reorders the model's state and the written words by `origin` and appends
`tokens`; lesson 05's beam_search does this for a whole batch.)

Your task: write `beam_step`.
Check it:  make check EX=ex05c        Stuck?  make hint EX=ex05c
"""

import numpy as np


def beam_step(scores, log_probs, finished, end_id):
    """The best k extensions of k beams: (origin beam, new token, new score), best first."""
    # TODO: a copy of log_probs in which each finished row is -inf except 0 at end_id;
    #       add the scores (one per row); then the k best of all k * vocabulary candidates.
    # BEGIN SOLUTION
    scores = np.asarray(scores, dtype=np.float64)
    log_probs = np.array(log_probs, dtype=np.float64)  # a copy: finished rows are changed below
    k, vocab = log_probs.shape
    finished = np.asarray(finished, dtype=bool)
    log_probs[finished] = -np.inf
    log_probs[finished, end_id] = 0.0
    candidates = (scores[:, None] + log_probs).reshape(-1)
    best = np.argsort(-candidates, kind="stable")[:k]
    return best // vocab, best % vocab, candidates[best]
    # END SOLUTION
