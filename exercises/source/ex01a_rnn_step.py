"""Exercise ex01a (lesson 01): one step of a vanilla RNN.

The hidden state h is the network's memory. One time step mixes the new input x_t into the
previous state and squashes the sum with tanh:

    h_t = tanh(W_hh @ h_{t-1} + W_xh @ x_t + b_h)

Shapes (one sequence, no batch; column vectors, as in lesson 01's `RNN` class):
    x       (features,)          the input at this step
    h_prev  (hidden,)            the previous hidden state h_{t-1}
    W_xh    (hidden, features)   input-to-hidden weights
    W_hh    (hidden, hidden)     hidden-to-hidden (recurrent) weights
    b_h     (hidden,)            the bias
Return the new hidden state h_t, shape (hidden,).

Your task: write the body of `rnn_step` where it says TODO.
Check it:  make check EX=ex01a        Stuck?  make hint EX=ex01a
"""

import numpy as np


def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    """One step of a vanilla RNN: return h_t (see the module docstring)."""
    # TODO: one line of NumPy: the formula above, with @ for matrix-vector products.
    # BEGIN SOLUTION
    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h)
    # END SOLUTION
