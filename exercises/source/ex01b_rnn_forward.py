"""Exercise ex01b (lesson 01): unroll an RNN over a whole sequence.

Reading a sequence means applying the *same* step, with the *same* weights, once per time step,
feeding each step's new state into the next one. The state starts at h0, which is all zeros
unless given.

    xs      (time, features)     the sequence, one row per time step
    W_xh, W_hh, b_h              as in ex01a
    h0      (hidden,) or None    the initial state; None means zeros
Return every step's hidden state h_1 ... h_T stacked into shape (time, hidden)
(h0 itself is not part of the output, just as Keras' SimpleRNN(return_sequences=True) does).

`rnn_step` is given (it is ex01a's answer). Your task: write `rnn_forward`.
Check it:  make check EX=ex01b        Stuck?  make hint EX=ex01b
"""

import numpy as np


def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)


def rnn_forward(xs, W_xh, W_hh, b_h, h0=None):
    """Unroll `rnn_step` over `xs`; return all hidden states, shape (time, hidden)."""
    # TODO: start from h0 (or zeros of size hidden), loop over the rows of xs,
    #       keep each new state, and return them stacked into one array.
    # BEGIN SOLUTION
    h = np.zeros(W_hh.shape[0]) if h0 is None else h0
    states = []
    for x in xs:
        h = rnn_step(x, h, W_xh, W_hh, b_h)
        states.append(h)
    return np.stack(states)
    # END SOLUTION
