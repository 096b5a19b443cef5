"""Greedy decoding and beam search for any model that writes one token at a time.

Both searches only need a ``step`` function:

    step(tokens, state) -> (log_probs, new_state)

``tokens`` holds the previous token of every hypothesis, shape ``(n,)``; ``log_probs`` the
model's log-probabilities of the next token, shape ``(n, vocab)``; ``state`` is whatever the
model carries from one step to the next (a NumPy array, or a dict / list / tuple of them),
every array with the hypotheses on its first axis. Beam search reorders that first axis
when hypotheses are dropped or copied, so the state may hold anything per hypothesis: an
RNN's hidden state, the encoder outputs a decoder attends to, image features for a caption.

Both searches decode a whole batch of inputs at once and stop at the end token or after
``max_length`` tokens. They return token lists without the start token and without the
end token. Nothing here knows about Keras, so lesson 05 (translation) and lesson 06
(captioning) share it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Step = Callable[[np.ndarray, object], tuple[np.ndarray, object]]


@dataclass
class Decoded:
    """The best hypothesis per input: its tokens and its total log-probability."""

    tokens: list[list[int]]
    log_probs: list[float]


def next_token_log_probs(logits, banned=()) -> np.ndarray:
    """Log-softmax of a step's logits ``(n, vocab)`` in float64, with the ``banned`` token ids
    made impossible (padding, [start], [UNK]: tokens a decoder must never write)."""
    logits = np.array(logits, dtype=np.float64)
    logits[:, list(banned)] = -np.inf
    logits -= logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def map_state(function, state):
    """Apply ``function`` to every array of a (nested) state, keeping its structure."""
    if state is None:
        return None
    if isinstance(state, dict):
        return {key: map_state(function, value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(map_state(function, value) for value in state)
    return function(state)


def _check(batch_size: int, max_length: int, beam_size: int = 1) -> None:
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, got {max_length}")
    if beam_size < 1:
        raise ValueError(f"beam_size must be at least 1, got {beam_size}")


def _strip(tokens, end_id: int) -> list[int]:
    out = []
    for token in tokens:
        if token == end_id:
            break
        out.append(int(token))
    return out


def greedy_search(step: Step, state, *, batch_size: int, start_id: int, end_id: int, max_length: int) -> Decoded:
    """At every step take the single most likely token; ``state`` is the batch's initial state."""
    _check(batch_size, max_length)
    tokens = np.full(batch_size, start_id, dtype=np.int64)
    finished = np.zeros(batch_size, dtype=bool)
    scores = np.zeros(batch_size)
    written = []
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        log_probs = np.asarray(log_probs, dtype=np.float64)
        tokens = log_probs.argmax(axis=-1)
        scores += np.where(finished, 0.0, log_probs[np.arange(batch_size), tokens])
        tokens = np.where(finished, end_id, tokens)
        written.append(tokens)
        finished |= tokens == end_id
        if finished.all():
            break
    rows = np.stack(written, axis=1)
    return Decoded([_strip(row, end_id) for row in rows], scores.tolist())


def length_normalised(score, length, alpha: float):
    """Score per token to the power ``alpha`` (0: raw log-probability, 1: mean per token).

    Without it, beam search prefers short outputs: every extra token can only lower the
    total log-probability.
    """
    return score / np.maximum(length, 1) ** alpha


def beam_search(
    step: Step,
    state,
    *,
    batch_size: int,
    start_id: int,
    end_id: int,
    max_length: int,
    beam_size: int = 4,
    alpha: float = 0.0,
) -> Decoded:
    """Keep the ``beam_size`` most likely partial outputs at every step.

    A hypothesis that has written the end token stays in the beam with a fixed score (it
    may only "write" end tokens, at no cost) so that it competes with the unfinished ones.
    At the end the best hypothesis per input is chosen by ``length_normalised(score, length,
    alpha)``; the length counts the end token. With ``alpha=0`` and a beam as wide as every
    possible output, this finds the most likely sequence exactly; with ``beam_size=1`` it is
    greedy decoding.
    """
    _check(batch_size, max_length, beam_size)
    k = beam_size
    state = map_state(lambda a: np.repeat(np.asarray(a), k, axis=0), state)  # (batch * k, ...)
    tokens = np.full(batch_size * k, start_id, dtype=np.int64)
    # only the first copy of each input is live at the start, else the beam holds k copies of one hypothesis
    scores = np.tile(np.r_[0.0, np.full(k - 1, -np.inf)], batch_size)
    finished = np.zeros(batch_size * k, dtype=bool)
    lengths = np.zeros(batch_size * k, dtype=np.int64)
    history = np.zeros((batch_size * k, 0), dtype=np.int64)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        log_probs = np.asarray(log_probs, dtype=np.float64)
        vocab = log_probs.shape[-1]
        frozen = np.full(vocab, -np.inf)
        frozen[end_id] = 0.0
        log_probs = np.where(finished[:, None], frozen, log_probs)
        candidates = (scores[:, None] + log_probs).reshape(batch_size, k * vocab)
        best = np.argsort(-candidates, axis=1, kind="stable")[:, :k]  # (batch, k)
        origin = (best // vocab + np.arange(batch_size)[:, None] * k).reshape(-1)
        tokens = (best % vocab).reshape(-1)
        scores = np.take_along_axis(candidates, best, axis=1).reshape(-1)
        lengths = lengths[origin] + ~finished[origin]
        finished = finished[origin] | (tokens == end_id)
        history = np.concatenate([history[origin], tokens[:, None]], axis=1)
        state = map_state(lambda a, origin=origin: np.asarray(a)[origin], state)
        if finished.all():
            break
    final = length_normalised(scores, lengths, alpha).reshape(batch_size, k)
    final = np.where(np.isfinite(final), final, -np.inf)
    winners = final.argmax(axis=1) + np.arange(batch_size) * k
    return Decoded([_strip(history[i], end_id) for i in winners], scores[winners].tolist())


def decode(step: Step, state, *, beam_size: int = 1, **kwargs) -> Decoded:
    """Greedy decoding when ``beam_size`` is 1, beam search otherwise."""
    alpha = kwargs.pop("alpha", 0.0)
    if beam_size == 1:
        return greedy_search(step, state, **kwargs)
    kwargs["alpha"] = alpha
    return beam_search(step, state, beam_size=beam_size, **kwargs)
