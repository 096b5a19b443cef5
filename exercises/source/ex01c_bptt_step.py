"""Exercise ex01c (lesson 01): backpropagation through one RNN step.

Backpropagation through time (BPTT) runs the chain rule backwards, one step at a time. For the step

    a = W_hh @ h_prev + W_xh @ x + b_h
    h = tanh(a)

you are given dh = dL/dh, the gradient of the loss with respect to this step's output (it already
includes what flows back from later steps). Return the gradients of the loss with respect to the
step's weights and its inputs, as a dict with these keys and shapes:

    "W_xh"    (hidden, features)
    "W_hh"    (hidden, hidden)
    "b_h"     (hidden,)
    "h_prev"  (hidden,)     this is what flows on, backwards, to the previous step

Useful facts: d tanh(a)/da = 1 - tanh(a)**2 = 1 - h**2 (you are given h, so no need to recompute
tanh), and for a = W @ v the gradients are dL/dW = outer(da, v) and dL/dv = W.T @ da.

Your task: write `rnn_step_backward`. The check compares with finite differences of the loss.
Check it:  make check EX=ex01c        Stuck?  make hint EX=ex01c
"""

import numpy as np


def rnn_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    """Gradients of one RNN step (see the module docstring); returns a dict of four arrays."""
    # TODO: first the gradient through tanh, da = dh * (derivative of tanh),
    #       then the four gradients from da.
    # BEGIN SOLUTION
    da = dh * (1 - h**2)
    return {
        "W_xh": np.outer(da, x),
        "W_hh": np.outer(da, h_prev),
        "b_h": da,
        "h_prev": W_hh.T @ da,
    }
    # END SOLUTION
