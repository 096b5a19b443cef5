"""Quiz 1 (after lesson 03): lesson 03's sentiment model, run by hand in NumPy.

This quiz puts lessons 01 to 03 together: an RNN unrolled over time (01), the GRU cell in Keras'
layout (02, exercise ex02b) and masking padded reviews (03). Lesson 03's model is

    keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)   token id -> vector; id 0 is padding
    keras.layers.GRU(units)                                          reads the vectors, returns the last state
    keras.layers.Dense(1, activation="sigmoid")                      state -> P(the review is positive)

Write its forward pass with NumPy only: your probabilities must equal the model's,
`model.predict(token_ids)[:, 0]`, to 1e-5, given the weights in the order `model.get_weights()` lists them:

    embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights

    embeddings        (vocab_size, embed_dim)  row i is the vector of token id i
    kernel            (embed_dim, 3 * units)   the GRU's input weights
    recurrent_kernel  (units, 3 * units)       the GRU's recurrent weights
    bias              (2, 3 * units)           row 0: the input bias, row 1: the recurrent bias
    dense_kernel      (units, 1)
    dense_bias        (1,)

1. Embedding: every token id becomes its row of `embeddings`: shape (batch, time, embed_dim).
2. GRU, Keras' default (reset_after=True). The state h starts at zeros, shape (batch, units). At each
   time step t, with x_t the vectors of the batch's tokens at t, shape (batch, embed_dim):
       x_z, x_r, x_h = split(x_t @ kernel + bias[0], 3)            the columns hold three blocks of
       h_z, h_r, h_h = split(h @ recurrent_kernel + bias[1], 3)     `units`, in the order z, r, h
       z = sigmoid(x_z + h_z)                   the update gate
       r = sigmoid(x_r + h_r)                   the reset gate
       candidate = tanh(x_h + r * h_h)          r scales the recurrent part after the product (bias[1] included)
       new_h = z * h + (1 - z) * candidate      z = 1 keeps the old state (not the textbook's 1 - z)
3. The mask: in a row whose token at step t is 0 (padding), the state does not change at that step
   (new_h is not used there); the other rows move on. Keras applies this rule at every step, so the
   steps after a 0 are still read: the state it returns is the state after each row's last real token,
   whether the zeros are at the end (the usual), at the front or in between. A row of nothing but
   padding keeps the initial zeros.
4. Dense: the probability is sigmoid(h @ dense_kernel + dense_bias), one per row.

    token_ids  an integer array (batch, time): token ids, 0 = padding
    weights    the list of six arrays above (model.get_weights() of lesson 03's model)
Return a float array of shape (batch,): for each review, the probability that it is positive.
Do not change the arrays you are given.

The check builds such a model with fixed weights and compares your probabilities with its own on real IMDB
reviews, tokenised as in lesson 03 (run `make lesson03` once first: it downloads IMDB).

Your task: write `predict_proba`. `sigmoid` is given.
Check it:  make check EX=quiz1        Stuck?  make hint EX=quiz1
"""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def predict_proba(token_ids, weights):
    """P(positive) for each padded review: Embedding(mask_zero=True) -> GRU -> Dense(sigmoid), in NumPy."""
    # TODO: look up the vectors; loop over the time steps with a GRU step for the whole batch,
    #       keeping the old state in the rows whose token is 0; then Dense and sigmoid.
    # BEGIN SOLUTION
    embeddings, kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    token_ids = np.asarray(token_ids)
    x = embeddings[token_ids]
    h = np.zeros((token_ids.shape[0], recurrent_kernel.shape[0]))
    for t in range(token_ids.shape[1]):
        x_z, x_r, x_h = np.split(x[:, t] @ kernel + bias[0], 3, axis=-1)
        h_z, h_r, h_h = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
        z = sigmoid(x_z + h_z)
        r = sigmoid(x_r + h_r)
        new_h = z * h + (1 - z) * np.tanh(x_h + r * h_h)
        real = token_ids[:, t, None] != 0
        h = np.where(real, new_h, h)
    return sigmoid(h @ dense_kernel + dense_bias)[:, 0]
    # END SOLUTION
