"""Lesson 08's exercises (ex08a window_pairs, ex08b standardise, ex08c pinball_loss): each check's reference
equals lesson 08's own function on every case the check uses, and every mistake a check can name gives another
answer than the right one on some case (so that it can be named at all)."""

import numpy as np
import pytest

from course_utils.lesson import definitions
from exercises.checking import same_result
from exercises.checks import ex08a_window_pairs as windows_check
from exercises.checks import ex08b_standardise as scaling_check
from exercises.checks import ex08c_pinball_loss as pinball_check

LESSON = "lesson08_forecasting"


@pytest.fixture(scope="module")
def lesson():
    return definitions(LESSON)


def same(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.allclose(a, b, atol=1e-6, rtol=1e-5, equal_nan=True)


# ------------------------------------------------------------------ ex08a
def test_window_pairs_reference_equals_lesson08s(lesson):
    for case, inputs, targets, window, horizon in windows_check.cases():
        windows, labels = lesson.window_pairs(inputs, targets, window, horizon)
        expected_windows, expected_labels = windows_check.reference(inputs, targets, window, horizon)
        assert same(windows, expected_windows) and same(labels, expected_labels), case


def test_window_pairs_cases_cover_what_the_docstring_allows():
    kinds = set()
    for _, inputs, _, window, horizon in windows_check.cases():
        n = len(inputs) - window - horizon + 1
        kinds.add(("list" if isinstance(inputs, list) else np.asarray(inputs).dtype.kind, np.ndim(inputs)))
        kinds.add("no pair" if n <= 0 else "one pair" if n == 1 else "pairs")
        kinds.add("shorter than the window" if len(inputs) < window else "")
        kinds.add(f"window {window}" if window == 1 else f"horizon {horizon}" if horizon in (1, 24) else "")
    assert {("f", 1), ("f", 2), ("i", 2), ("list", 1), ("list", 2)} <= kinds
    assert {"no pair", "one pair", "pairs", "shorter than the window", "window 1", "horizon 1", "horizon 24"} <= kinds


def test_every_window_pairs_mistake_differs_from_the_right_answer_somewhere():
    label_texts, window_texts = set(), set()
    labels_named, windows_named = set(), set()
    for _, inputs, targets, window, horizon in windows_check.cases():
        windows, labels = windows_check.reference(inputs, targets, window, horizon)
        for pairs in (len(labels), len(labels) - 1):  # a mistake is taken over as many pairs as the learner made
            if pairs < 0:
                continue
            mistakes = windows_check.label_mistakes(targets, window, horizon, labels[:pairs], labels, windows)
            label_texts |= set(mistakes)
            labels_named |= {t for t, got in mistakes.items() if got is not None and not same_result(got, labels)}
            mistakes = windows_check.window_mistakes(inputs, targets, window, horizon, windows[:pairs], windows, labels)
            window_texts |= set(mistakes)
            windows_named |= {t for t, got in mistakes.items() if got is not None and not same_result(got, windows)}
    assert labels_named == label_texts and windows_named == window_texts


# ------------------------------------------------------------------ ex08b
def test_standardise_reference_equals_lesson08s(lesson):
    for case, splits in scaling_check.cases():
        scaled, (mean, std) = lesson.standardise({name: rows.copy() for name, rows in splits.items()})
        expected, (expected_mean, expected_std) = scaling_check.reference(splits)
        assert list(scaled) == list(splits), case
        assert same(mean, expected_mean) and same(std, expected_std), case
        for name in splits:
            assert same(scaled[name], expected[name]), (case, name)


def test_standardise_cases_make_the_leak_unmistakable():
    """Statistics over every split differ from the training ones by more than a training std in some column."""
    for case, splits in scaling_check.cases():
        if set(splits) == {"train"} or "val" not in splits and "test" not in splits:
            continue
        _, (mean, std) = scaling_check.reference(splits)
        _, (leaked, _) = scaling_check.reference(splits, source="all")
        assert (np.abs(leaked - mean) / std).max() > 0.3, case


def test_every_standardise_mistake_differs_from_the_right_answer_somewhere():
    for text, options in scaling_check.MISTAKES.items():
        differs = False
        for _, splits in scaling_check.cases():
            expected, (mean, std) = scaling_check.reference(splits)
            scaled, (got_mean, got_std) = scaling_check.reference(splits, **options)
            differs |= not same_result(got_mean, mean) or not same_result(got_std, std)
            differs |= scaled is not None and any(not same_result(scaled[n], expected[n]) for n in splits)
        assert differs, text


# ------------------------------------------------------------------ ex08c
def test_pinball_reference_equals_lesson08s_loss_and_keras_loss(lesson):
    for case, y_true, y_pred, quantiles, _ in pinball_check.hand_made_cases():
        quantiles = quantiles or pinball_check.QUANTILES
        expected = pinball_check.reference(y_true, y_pred, quantiles)
        assert np.isclose(float(lesson.pinball_loss(y_true, y_pred, quantiles)), expected, rtol=1e-5, atol=1e-6), case
        as_loss = lesson.PinballLoss(quantiles)(y_true.astype("float32"), y_pred.astype("float32"))
        assert np.isclose(float(as_loss), expected, rtol=1e-4, atol=1e-5), case
    assert pinball_check.QUANTILES == lesson.QUANTILES


def test_pinball_reference_by_hand():
    y_true = np.array([[100.0, np.nan]])
    low, high = np.full((1, 2, 3), 80.0), np.full((1, 2, 3), 120.0)
    assert np.isclose(pinball_check.reference(y_true, low), 20.0 * (0.1 + 0.5 + 0.9) / 3)
    assert np.isclose(pinball_check.reference(y_true, high), 20.0 * (0.9 + 0.5 + 0.1) / 3)
    assert np.isclose(pinball_check.reference(y_true, low[..., :1], (0.9,)), 18.0)
    assert pinball_check.reference(np.full((2, 2), np.nan), np.zeros((2, 2, 3))) == 0.0


def test_every_pinball_mistake_differs_from_the_right_answer_somewhere():
    for text, options in pinball_check.MISTAKES.items():
        results = [
            (
                pinball_check.reference(y, p, q or pinball_check.QUANTILES, **options),
                pinball_check.reference(y, p, q or pinball_check.QUANTILES),
            )
            for _, y, p, q, _ in pinball_check.hand_made_cases()
        ]
        assert any(got is not None and not same_result(got, want) for got, want in results), text
