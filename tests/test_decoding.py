"""Greedy decoding and beam search (lesson 05's, from lessons.saved.lesson05_translation) on hand-built decoders
with known answers."""

import itertools

import numpy as np
import pytest

from lessons.saved.lesson05_translation import (
    TOY_TABLE,
    TOY_WORDS,
    beam_search,
    decode,
    extend_beams,
    greedy_search,
    next_token_log_probs,
    table_step,
    until_end,
)

END, A, B, START = 0, 1, 2, 3


def markov_step(table):
    """A decoder whose next-token distribution depends only on the previous token."""
    log_table = np.log(np.asarray(table, dtype=float))

    def step(tokens, state):
        return log_table[tokens], state

    return step


# The most likely first token (a, 0.6) leads to a flat distribution; b (0.4) is almost
# always followed by the end. Greedy writes "a" then "end": 0.6 * 0.45 = 0.27. The best
# sequence is "b end": 0.4 * 0.9 = 0.36.
TRAP = [
    [1.0, 1e-9, 1e-9, 1e-9],  # after end (never used)
    [0.45, 0.30, 0.25, 1e-9],  # after a
    [0.90, 0.05, 0.05, 1e-9],  # after b
    [1e-9, 0.60, 0.40, 1e-9],  # after start
]


def test_beam_finds_the_best_sequence_where_greedy_does_not():
    step = markov_step(TRAP)
    kwargs = dict(batch_size=1, start_id=START, end_id=END, max_length=5)
    greedy = greedy_search(step, None, **kwargs)
    beam = beam_search(step, None, beam_size=2, **kwargs)
    assert greedy.tokens == [[A]]
    assert greedy.log_probs[0] == pytest.approx(np.log(0.6 * 0.45))
    assert beam.tokens == [[B]]
    assert beam.log_probs[0] == pytest.approx(np.log(0.4 * 0.9))
    assert beam_search(step, None, beam_size=1, **kwargs).tokens == greedy.tokens


def brute_force_best(log_table, max_length):
    """The most likely sequence (ending in END, or cut at max_length) by trying them all."""
    vocab = log_table.shape[0]
    best, best_score = None, -np.inf
    for length in range(1, max_length + 1):
        for seq in itertools.product(range(vocab), repeat=length):
            if END in seq[:-1]:
                continue
            prev, score = START, 0.0
            for token in seq:
                score += log_table[prev, token]
                prev = token
            if seq[-1] != END and length < max_length:
                continue
            if score > best_score:
                best, best_score = [t for t in seq if t != END], score
    return best, best_score


def test_a_beam_as_wide_as_the_search_space_is_exact_on_random_decoders():
    rng = np.random.default_rng(0)
    for _ in range(5):
        table = rng.dirichlet(np.full(5, 0.5), size=5)
        table[:, START] = 1e-12
        step = markov_step(table)
        best, score = brute_force_best(np.log(table), max_length=4)
        found = beam_search(step, None, batch_size=1, start_id=START, end_id=END, max_length=4, beam_size=125)
        assert found.tokens[0] == best
        assert found.log_probs[0] == pytest.approx(score)
        narrow = beam_search(step, None, batch_size=1, start_id=START, end_id=END, max_length=4, beam_size=2)
        assert narrow.log_probs[0] <= score + 1e-9


def test_batches_decode_each_input_as_if_alone_and_the_state_follows_the_beam():
    """State-dependent decoder: each input's offset (in the state) shifts its table, and the
    state also counts steps, so a wrongly reordered state gives different answers."""
    rng = np.random.default_rng(1)
    tables = np.log(rng.dirichlet(np.full(6, 0.4), size=(3, 6)))
    tables[..., START] = -30.0

    def step(tokens, state):
        which, count = state["which"], state["count"]
        log_probs = tables[which, tokens] - 0.05 * count[:, None] * np.arange(6)[None, :]
        return log_probs, {"which": which, "count": count + 1}

    kwargs = dict(start_id=START, end_id=END, max_length=6)
    for search in (greedy_search, lambda *a, **k: beam_search(*a, beam_size=3, **k)):
        together = search(step, {"which": np.arange(3), "count": np.zeros(3)}, batch_size=3, **kwargs)
        for i in range(3):
            alone = search(step, {"which": np.array([i]), "count": np.zeros(1)}, batch_size=1, **kwargs)
            assert together.tokens[i] == alone.tokens[0]
            assert together.log_probs[i] == pytest.approx(alone.log_probs[0])


def test_length_normalisation_and_maximum_length():
    # after start: end 0.5 or a 0.5; after a: a with 0.99. Raw scores pick the empty output;
    # per-token scores (alpha=1) pick the long one.
    table = [[1, 1e-9, 1e-9, 1e-9], [0.01, 0.99, 1e-9, 1e-9], [1, 1e-9, 1e-9, 1e-9], [0.5, 0.5, 1e-9, 1e-9]]
    step = markov_step(table)
    kwargs = dict(batch_size=1, start_id=START, end_id=END, max_length=3, beam_size=2)
    assert beam_search(step, None, alpha=0.0, **kwargs).tokens == [[]]
    assert beam_search(step, None, alpha=1.0, **kwargs).tokens == [[A, A, A]]  # cut at max_length
    greedy = decode(step, None, beam_size=1, alpha=1.0, batch_size=1, start_id=START, end_id=END, max_length=3)
    assert greedy.tokens == greedy_search(step, None, batch_size=1, start_id=START, end_id=END, max_length=3).tokens


def test_bad_settings_are_refused():
    step = markov_step(TRAP)
    with pytest.raises(ValueError):
        beam_search(step, None, batch_size=1, start_id=START, end_id=END, max_length=0)
    with pytest.raises(ValueError):
        beam_search(step, None, batch_size=1, start_id=START, end_id=END, max_length=3, beam_size=0)


def test_next_token_log_probs_is_a_log_softmax_without_the_banned_tokens():
    logits = np.array([[2.0, 1.0, 0.5, -1.0], [0.0, 0.0, 3.0, 1.0]], dtype="float32")
    log_probs = next_token_log_probs(logits, banned=[0, 2])
    assert log_probs.dtype == np.float64 and np.isneginf(log_probs[:, [0, 2]]).all()
    np.testing.assert_allclose(np.exp(log_probs).sum(-1), 1.0)
    kept = logits[:, [1, 3]].astype("float64")
    expected = kept - np.log(np.exp(kept).sum(-1, keepdims=True))
    np.testing.assert_allclose(log_probs[:, [1, 3]], expected)
    assert logits[0, 0] == 2.0  # the caller's logits are left as they were


def test_the_lessons_toy_model_is_the_trap_and_its_steps_are_as_shown():
    assert np.allclose(TOY_TABLE, TRAP) and TOY_WORDS.index("[end]") == END and TOY_WORDS.index("[start]") == START
    step = table_step(TOY_TABLE)
    scores, finished, tokens = np.array([0.0, -np.inf]), np.zeros(2, dtype=bool), np.full(2, START)
    origin, tokens, scores = extend_beams(scores, step(tokens, None)[0], finished, END, k=2)
    assert origin.tolist() == [0, 0] and tokens.tolist() == [A, B] and np.allclose(np.exp(scores), [0.6, 0.4])
    origin, tokens, scores = extend_beams(scores, step(tokens, None)[0], finished, END, k=2)
    assert origin.tolist() == [1, 0] and tokens.tolist() == [END, END] and np.allclose(np.exp(scores), [0.36, 0.27])


def test_a_finished_beam_only_writes_the_end_token_at_no_cost():
    log_probs = np.log(np.full((2, 4), 0.25))
    origin, tokens, scores = extend_beams(np.array([-1.0, -2.0]), log_probs, np.array([True, False]), END, k=2)
    assert (origin[0], tokens[0], scores[0]) == (0, END, -1.0), "kept once, its score unchanged"
    assert origin[1] == 1 and scores[1] == pytest.approx(-2.0 + np.log(0.25))
    assert until_end([A, B, END, A], END) == [A, B] and until_end(np.array([A, B]), END) == [A, B]
