"""Lesson 09's exercises (ex09a min_gru_step, ex09b combine): each check's reference equals lesson 09's own function on
every case the check uses, the scan cases cover what the docstring promises, and every mistake a check can name gives
another answer than the right one (and than every other mistake) on the case where it is first possible, so that it
can be named at all."""

import itertools

import keras
import numpy as np
import pytest

from course_utils.lesson import definitions
from exercises.checking import maybe, same_result
from exercises.checks import ex09a_min_gru_step as step_check
from exercises.checks import ex09b_combine as combine_check

LESSON = "lesson09_recurrence"


@pytest.fixture(scope="module")
def lesson():
    return definitions(LESSON)


def numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def close(a, b, atol=1e-6, rtol=1e-5):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.allclose(a, b, atol=atol, rtol=rtol)


# ------------------------------------------------------------------ ex09a
def test_g_equals_lesson09s(lesson):
    x = np.concatenate([np.linspace(-30.0, 30.0, 601), [0.0, -1e-9, 1e-9]])
    assert close(step_check.g(x), numpy(lesson.g(x)))
    assert step_check.g(np.array(0.0)) == 0.5 and (step_check.g(x) > 0).all()


def test_min_gru_reference_equals_lesson09s(lesson):
    for case, values, dtype, _ in step_check.cases():
        sent = [v.astype(dtype) for v in values]
        expected = step_check.reference(*sent)
        assert close(numpy(lesson.min_gru_step(*sent)), expected, atol=1e-5, rtol=1e-4), case
        assert close(numpy(lesson.min_gru_step(*values)), step_check.reference(*values)), case  # float64


def test_the_stubs_g_is_lesson09s(lesson):
    from exercises import all_exercises

    exercise = next(e for e in all_exercises() if e.id == "ex09a")
    namespace = {}
    exec(exercise.stub_text(), namespace)  # the course's own stub
    x = np.linspace(-5.0, 5.0, 41)
    assert close(numpy(namespace["g"](x)), numpy(lesson.g(x)))


def test_min_gru_cases_cover_what_the_docstring_allows():
    kinds = set()
    for _, values, dtype, tensors in step_check.cases():
        x_t, h_prev, w_z = values[:3]
        kinds.add(dtype)
        kinds.add("tensors" if all(tensors) else "mixed" if any(tensors) else "numpy")
        kinds.add("one unit" if w_z.shape[1] == 1 else "")
        kinds.add("one input" if x_t.shape[1] == 1 else "")
        kinds.add("one row" if x_t.shape[0] == 1 else "")
    assert {"float32", "float64", "tensors", "mixed", "numpy", "one unit", "one input", "one row"} <= kinds
    _, values, _, _ = step_check.cases()[0]  # the first case lets an element-wise product run
    assert values[0].shape[0] == values[0].shape[1] == values[2].shape[1]


def min_gru_mistakes(values):
    return {
        text: maybe(lambda o=options: step_check.reference(*values, **o))
        for text, options in step_check.MISTAKES.items()
    }


def test_every_min_gru_mistake_is_possible_and_can_be_named_where_it_first_is():
    first_seen = {}
    for _, values, _, _ in step_check.cases():
        expected = step_check.reference(*values)
        for text, got in min_gru_mistakes(values).items():
            if got is not None and text not in first_seen:
                first_seen[text] = (values, got)
                assert not same_result(got, expected), text
    assert set(first_seen) == set(step_check.MISTAKES)
    for (text, (values, got)), (other, _) in itertools.permutations(first_seen.items(), 2):
        result = min_gru_mistakes(values)[other]
        assert result is None or not same_result(got, result), (text, other)


# ------------------------------------------------------------------ ex09b
def test_combine_reference_is_lesson09s(lesson):
    for case, first, second, _ in combine_check.direct_cases():
        ours = combine_check.combine(first, second)
        theirs = lesson.combine(first, second)
        assert all(close(a, numpy(b)) for a, b in zip(ours, theirs)), case
    steps = combine_check.associativity_steps()
    assert all(close(a, numpy(b)) for a, b in zip(combine_check.combine(*steps[:2]), lesson.combine(*steps[:2])))


def test_loop_and_prefix_steps_equal_lesson09s_loop_and_parallel_scan(lesson):
    for case, a, b, h0, _ in combine_check.scan_cases():
        expected = combine_check.loop(a, b, h0)
        assert close(numpy(lesson.linear_recurrence_loop(a, b, h0)), expected, atol=1e-5, rtol=1e-4), case
        assert close(numpy(lesson.linear_recurrence_parallel(a, b, h0)), expected, atol=1e-5, rtol=1e-4), case
        prefix_a, prefix_b = combine_check.prefix_steps(a, b)
        scanned = keras.ops.associative_scan(lesson.combine, (a, b), axis=1)
        assert close(numpy(scanned[0]), prefix_a, atol=1e-5, rtol=1e-4), case
        assert close(numpy(scanned[1]), prefix_b, atol=1e-5, rtol=1e-4), case


def test_scan_probe_runs_lesson09s_combine_like_the_loop(lesson):
    class Stand:  # what a probe gets: the learner's module behind .function
        def function(self, name):
            return getattr(lesson, name)

    for case, a, b, h0, tensors in combine_check.scan_cases():
        prefix_a, prefix_b = combine_check.scan_probe(Stand(), a, b, tensors)
        h = prefix_a * np.asarray(h0, dtype=np.float64)[:, None, :] + prefix_b
        assert close(h, combine_check.loop(a, b, h0), atol=1e-5, rtol=1e-4), case


def test_scan_cases_cover_what_the_docstring_promises():
    lengths, kinds = set(), set()
    for _, a, b, h0, tensors in combine_check.scan_cases():
        assert a.shape == b.shape and h0.shape == (a.shape[0], a.shape[2])
        lengths.add(a.shape[1])
        kinds.add("tensors" if tensors else "numpy")
        kinds.add("h0 = 0" if not h0.any() else "h0 != 0")
        kinds.add("a = 0" if not a.any() else "a = 1" if (a == 1).all() else "")
        kinds.add("one unit" if a.shape[2] == 1 else "")
        kinds.add("0 < a < 1" if ((a > 0) & (a < 1)).all() else "")
    assert {1, 2} <= lengths and len({n for n in lengths if n % 2 and n > 1}) >= 2
    assert {"tensors", "numpy", "h0 = 0", "h0 != 0", "a = 0", "a = 1", "one unit", "0 < a < 1"} <= kinds


def test_every_combine_mistake_differs_from_the_right_answer_and_from_the_others():
    _, first, second, _ = combine_check.direct_cases()[0]
    expected = combine_check.combine(first, second)
    results = combine_check.mistaken(first, second)
    for text, got in results.items():
        assert not same_result(got, expected), text
    for (text, got), (other, result) in itertools.combinations(results.items(), 2):
        assert not same_result(got, result), (text, other)


def test_the_right_combine_is_associative_and_the_non_associative_mistakes_are_caught_there():
    s1, s2, s3 = combine_check.associativity_steps()
    left = combine_check.combine(combine_check.combine(s1, s2), s3)
    right = combine_check.combine(s1, combine_check.combine(s2, s3))
    assert all(close(l, r) for l, r in zip(left, right))
    associative = set()
    for text, mistake in combine_check.MISTAKES.items():
        step = lambda f, s, m=mistake: m(*f, *s)  # noqa: E731
        left, right = step(step(s1, s2), s3), step(s1, step(s2, s3))
        if all(close(l, r) for l, r in zip(left, right)):
            associative.add(text)
    assert associative == {combine_check.ORDER, *(t for t in combine_check.MISTAKES if "b1 + b2:" in t)}


def test_a_wrong_a_shows_in_the_scan_only_with_h0_other_than_zero():
    """A combine whose B is right for every prefix but whose A is not (always 1) passes every window that starts from
    h0 = 0: the windows with another h0 are what catch it."""
    wrong_a = lambda first, second: (np.ones_like(first[0]), second[0] * first[1] + second[1])  # noqa: E731
    caught = 0
    for case, a, b, h0, _ in combine_check.scan_cases():
        prefix_a, prefix_b = combine_check.prefix_steps(a, b, wrong_a)
        right = close(prefix_a * h0[:, None, :] + prefix_b, combine_check.loop(a, b, h0))
        assert right == (not h0.any() or (a == 1).all() or a.shape[1] == 1), case
        caught += not right
    assert caught >= 5
