"""Lesson 04's CRF against brute force: on 3 tags and 4 words (81 paths) the forward algorithm's
log-partition is the logsumexp of every path's score, Viterbi finds the best path, and padding
changes nothing. Then the layer and its loss inside a tiny model: it trains, saves and reloads."""

import itertools

import keras
import numpy as np
import pytest

from course_utils.lesson import definitions

lesson = definitions("lesson04_tagging")
TAGS, LENGTH = 3, 4


def random_crf(seed, batch=1, length=LENGTH, tags=TAGS):
    rng = np.random.default_rng(seed)
    emissions = rng.normal(size=(batch, length, tags)).astype("float32")
    transitions, start, end = (rng.normal(size=s).astype("float32") for s in ((tags, tags), tags, tags))
    return emissions, transitions, start, end


def by_hand(emissions, path, transitions, start, end):
    """One path's score, written out as the definition says."""
    score = start[path[0]] + end[path[-1]] + sum(emissions[t, k] for t, k in enumerate(path))
    return score + sum(transitions[a, b] for a, b in zip(path, path[1:]))


def numpy(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("seed", range(3))
def test_forward_algorithm_and_viterbi_match_brute_force(seed):
    emissions, transitions, start, end = random_crf(seed)
    paths = list(itertools.product(range(TAGS), repeat=LENGTH))
    assert len(paths) == 81
    hand = np.array([by_hand(emissions[0], p, transitions, start, end) for p in paths], "float64")
    # crf_path_score agrees with the definition on every path
    batch = np.repeat(emissions, len(paths), axis=0)
    scores = numpy(lesson.crf_path_score(batch, np.array(paths), np.ones((81, LENGTH)), transitions, start, end))
    np.testing.assert_allclose(scores, hand, rtol=1e-5, atol=1e-5)
    log_z = numpy(lesson.crf_log_partition(emissions, np.ones((1, LENGTH)), transitions, start, end))[0]
    np.testing.assert_allclose(log_z, np.log(np.exp(hand).sum()), rtol=1e-5)
    assert lesson.viterbi(emissions[0], transitions, start, end) == list(paths[int(hand.argmax())])
    check = lesson.brute_force_check(seed=seed)  # what the lesson shows
    assert check["viterbi"] == check["brute_best"] and abs(check["log_z"] - check["brute_log_z"]) < 1e-4


@pytest.mark.parametrize("real", [1, 2, 3])
def test_padded_steps_change_nothing(real):
    emissions, transitions, start, end = random_crf(7)
    mask = np.zeros((1, LENGTH), "float32")
    mask[0, :real] = 1
    garbage = emissions.copy()
    garbage[0, real:] = 100.0  # whatever the padded steps hold must not matter
    short = emissions[:, :real]
    log_z = numpy(lesson.crf_log_partition(garbage, mask, transitions, start, end))[0]
    paths = list(itertools.product(range(TAGS), repeat=real))
    hand = np.array([by_hand(short[0], p, transitions, start, end) for p in paths], "float64")
    np.testing.assert_allclose(log_z, np.log(np.exp(hand).sum()), rtol=1e-5)
    for path in paths[:5]:
        padded_path = np.array([list(path) + [2] * (LENGTH - real)])
        score = numpy(lesson.crf_path_score(garbage, padded_path, mask, transitions, start, end))[0]
        np.testing.assert_allclose(score, by_hand(short[0], path, transitions, start, end), rtol=1e-5, atol=1e-5)


def test_the_loss_is_the_negative_log_likelihood_per_word():
    emissions, transitions, start, end = random_crf(3, batch=2)
    crf = lesson.CRF(TAGS)
    crf.build((None, None, TAGS))
    for variable, value in zip((crf.transitions, crf.start, crf.end), (transitions, start, end)):
        variable.assign(value / crf.speed)  # stored divided by speed
    tags = np.array([[0, 1, 2, 1], [2, 2, 0, 0]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], "float32")
    loss = float(numpy(lesson.CRFLoss(crf)(tags, emissions, mask)))
    nll = 0.0
    for row, real in enumerate((4, 2)):
        hand = [
            by_hand(emissions[row, :real], p, transitions, start, end) for p in itertools.product(range(3), repeat=real)
        ]
        gold = by_hand(emissions[row, :real], tags[row, :real], transitions, start, end)
        nll += np.log(np.exp(hand).sum()) - gold
    np.testing.assert_allclose(loss, nll / 6, rtol=1e-5)


def test_a_tiny_crf_model_learns_a_transition_rule_and_reloads(tmp_path):
    """The layer and its loss train inside a model (tag = the token's parity), and the transitions save and reload."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, 5, size=(64, 6)).astype("int32")
    y = (x % 2).astype("int32")  # tag = parity of the token
    inputs = keras.Input((None,), dtype="int32")
    scores = keras.layers.Dense(2)(keras.layers.Embedding(5, 8)(inputs))
    crf = lesson.CRF(2, name="crf")
    model = keras.Model(inputs, crf(scores))
    model.compile(keras.optimizers.Adam(0.05), loss=lesson.CRFLoss(crf))
    weights = np.ones(y.shape, "float32")
    first = model.evaluate(x, y, sample_weight=weights, verbose=0)
    model.fit(x, y, sample_weight=weights, epochs=20, batch_size=16, verbose=0)
    assert model.evaluate(x, y, sample_weight=weights, verbose=0) < first / 5
    transitions, start, end = lesson.crf_weights(model)
    emissions = numpy(model.predict(x[:8], verbose=0))
    assert all(lesson.viterbi(e, transitions, start, end) == list(t) for e, t in zip(emissions, y[:8]))
    model.save(tmp_path / "crf.keras")
    reloaded = keras.models.load_model(tmp_path / "crf.keras")
    for a, b in zip(lesson.crf_weights(reloaded), (transitions, start, end)):
        np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(numpy(reloaded.predict(x[:8], verbose=0)), emissions, atol=1e-5)
