"""Check for ex08a: (window, label) pairs on hourly tables whose every value tells its hour, so that a label one
hour off, a window shifted or cut one row short, or windows stacked on the wrong axis all show (and are named);
horizons 1 to 24, window 1, features == window, a single series, int arrays, lists, one pair and no pair at all."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, as_array, expect_close, short_repr

TITLE = "(window, label) pairs for a forecast horizon"
HINTS = (
    "There are n = len(inputs) - window - horizon + 1 pairs (none when that is below 1). Pair i's window is "
    "inputs[i : i + window]; its last row is i + window - 1, and its label is `horizon` rows after that row: "
    "targets[i + window - 1 + horizon]. A loop over i that collects both, then np.array of each list, works; so "
    "does indexing with a matrix of rows, np.arange(n)[:, None] + np.arange(window). With no pair, np.array([]) "
    "has shape (0,): the empty windows still need their other axes, np.zeros((0, window) + inputs.shape[1:]).",
    "    inputs, targets = np.asarray(inputs), np.asarray(targets)\n"
    "    n = max(len(inputs) - window - horizon + 1, 0)\n"
    "    starts = np.arange(n)\n"
    "    windows = inputs[starts[:, None] + np.arange(...)]   # rows (n, window): (n, window, features)\n"
    "    labels = targets[starts + ...]                        # `horizon` rows after each window's last row\n"
    "    return windows, labels",
)


def hourly(time, features, dtype=np.float64):
    """inputs[t, f] = t + f / 10 ((time,) when features is 0: inputs[t] = t) and targets[t] = 100 + t: every
    value tells its hour. Int tables: inputs[t, f] = 10 * t + f."""
    t = np.arange(time)
    if np.dtype(dtype).kind == "i":
        inputs = 10 * t[:, None] + np.arange(features) if features else 10 * t
        return inputs.astype(dtype), (100 + t).astype(dtype)
    inputs = t[:, None] + np.arange(features) / 10 if features else t.astype(np.float64)
    return inputs.astype(dtype), (100.0 + t).astype(dtype)


def pm25_like(time, seed):
    """A single series like lesson 08's PM2.5 (a positive random walk, micrograms per cubic metre)."""
    steps = np.random.default_rng(seed).normal(0.0, 12.0, size=time)
    return np.round(np.abs(80.0 + np.cumsum(steps)), 1)


HOURS = " (inputs[t, f] = t + f/10, targets[t] = 100 + t)"


def cases():
    """(description, inputs, targets, window, horizon): inputs and targets as the learner's function gets them."""
    series = pm25_like(40, 5)
    ints = hourly(10, 2, dtype=np.int64)
    nested = hourly(7, 2)
    return [
        (f"12 hours x 3 features{HOURS}, window 5, horizon 3", *hourly(12, 3), 5, 3),
        (f"12 hours x 3 features{HOURS}, window 4, horizon 1 (the next hour)", *hourly(12, 3), 4, 1),
        (f"30 hours x 2 features{HOURS}, window 6, horizon 6", *hourly(30, 2), 6, 6),
        (
            "a single series (time,) of 40 PM2.5-like values as inputs and targets, window 5, horizon 2",
            series,
            series,
            5,
            2,
        ),
        (f"7 hours x 2 features{HOURS}, window 1, horizon 1", *hourly(7, 2), 1, 1),
        (f"40 hours x 3 features{HOURS}, window 3 (as many hours as features), horizon 24", *hourly(40, 3), 3, 24),
        ("int arrays (inputs[t, f] = 10 * t + f), 10 hours x 2 features, window 3, horizon 2", *ints, 3, 2),
        (
            "lists: a single series of 8 floats as a list, window 3, horizon 1",
            [float(v) for v in series[:8]],
            [float(v) for v in series[:8]],
            3,
            1,
        ),
        (
            f"lists of lists: 7 hours x 2 features{HOURS}, window 2, horizon 2",
            nested[0].tolist(),
            nested[1].tolist(),
            2,
            2,
        ),
        (f"exactly one pair: 6 hours x 2 features{HOURS}, window 4, horizon 2", *hourly(6, 2), 4, 2),
        (
            "no pair: 5 hours x 2 features, window 4, horizon 2 (a pair needs window + horizon = 6 hours)",
            *hourly(5, 2),
            4,
            2,
        ),
        ("no pair: 3 hours x 2 features, shorter than the window 4, horizon 1", *hourly(3, 2), 4, 1),
        ("no pair: a single series of 2 values, as a list, window 2, horizon 1", [81.5, 90.0], [81.5, 90.0], 2, 1),
    ]


def reference(inputs, targets, window, horizon):
    inputs, targets = np.asarray(inputs, dtype=np.float64), np.asarray(targets, dtype=np.float64)
    n = max(len(inputs) - window - horizon + 1, 0)
    windows = np.array([inputs[i : i + window] for i in range(n)]).reshape((n, window) + inputs.shape[1:])
    return windows, np.array([targets[i + window - 1 + horizon] for i in range(n)], dtype=np.float64)


def rows_at(array, starts, length):
    """array[s : s + length] for every start (an array of them), or None when one of them does not fit."""
    array = np.asarray(array, dtype=np.float64)
    if len(starts) and (min(starts) < 0 or max(starts) + length > len(array) or length < 1):
        return None
    return np.array([array[s : s + length] for s in starts]).reshape((len(starts), length) + array.shape[1:])


def pairs_returned(got, expected_pairs):
    """How many pairs the learner's array holds (its first axis), or the right number when it is no array."""
    shape = np.shape(got) if isinstance(got, np.ndarray) else ()
    return shape[0] if shape else expected_pairs


def label_mistakes(targets, window, horizon, got, expected, windows):
    """{description: what that mistake gives}; a label offset is taken over as many pairs as the learner made."""
    k = pairs_returned(got, len(expected))
    values = np.asarray(targets, dtype=np.float64)

    def labels_from(offset):
        taken = rows_at(values, np.arange(k) + offset, 1)
        return None if taken is None else taken[:, 0]

    return {
        "by labelling pair i with targets[i + window + horizon], one hour too late: the label is `horizon` hours "
        "after the window's LAST row, i + window - 1": labels_from(window + horizon),
        "by labelling pair i with targets[i + window + horizon - 2], one hour too early: the label is `horizon` "
        "hours after the window's last row, i + window - 1": labels_from(window + horizon - 2),
        "by labelling pair i with its window's own last row, targets[i + window - 1]: the horizon is left out, and "
        "the label must come `horizon` hours AFTER the window": labels_from(window - 1),
        "by labelling pair i with targets[i + window], the hour right after the window, whatever the horizon": (
            labels_from(window)
        ),
        "by labelling pair i with targets[i + horizon], counted from the window's first row instead of its last "
        "(i + window - 1)": labels_from(horizon),
        "by leaving out the last pair (n = time - window - horizon): the last window whose label exists makes a "
        "pair too, n = time - window - horizon + 1": expected[:-1] if len(expected) else None,
        "by returning (labels, windows): the order is (windows, labels)": windows,
    }


def window_mistakes(inputs, targets, window, horizon, got, expected, labels):
    k = pairs_returned(got, len(expected))
    starts = np.arange(k)
    two_d = np.ndim(inputs) == 2
    return {
        "with windows of window + 1 rows (inputs[i : i + window + 1]): a window holds `window` rows": rows_at(
            inputs, starts, window + 1
        ),
        "with windows of window - 1 rows (inputs[i : i + window - 1]): the end of a slice is not included, "
        "inputs[i : i + window] holds `window` rows": rows_at(inputs, starts, window - 1) if window > 1 else None,
        "with windows[i] starting `horizon` rows late (inputs[i + horizon : i + horizon + window], e.g. "
        "sliding_window_view(...)[horizon:]): windows[i] must be inputs[i : i + window], the hours BEFORE its "
        "label": rows_at(inputs, starts + horizon, window),
        "with windows[i] starting one row late (inputs[i + 1 : i + 1 + window]): windows[i] must be "
        "inputs[i : i + window]": rows_at(inputs, starts + 1, window),
        "with every window transposed, (features, window) instead of (window, features): "
        "sliding_window_view(inputs, window, axis=0) puts the window's axis last, .transpose(0, 2, 1) moves it "
        "back": expected.transpose(0, 2, 1) if two_d else None,
        "by stacking the windows along axis 1 (np.stack(..., axis=1)): the pairs must be the first axis, "
        "np.stack(windows) or np.array(windows)": np.moveaxis(expected, 0, 1),
        "by cutting the windows from `targets` instead of `inputs` (the model reads every feature)": (
            rows_at(targets, starts, window) if two_d else None
        ),
        "by leaving out the last pair (n = time - window - horizon): the last window whose label exists makes a "
        "pair too, n = time - window - horizon + 1": expected[:-1] if len(expected) else None,
        "by making the empty windows with np.array of an empty list, which has shape (0,): with no pair, windows "
        "still have their other axes, (0, window, features) or (0, window): np.zeros((0, window) + "
        "inputs.shape[1:])": np.zeros(0) if len(expected) == 0 else None,
        "by returning (labels, windows): the order is (windows, labels)": labels,
    }


def kind_of(value) -> str:
    if isinstance(value, list):
        return "a list of lists" if value and isinstance(value[0], list) else "a list"
    return f"an array of {'ints' if value.dtype.kind in 'iu' else 'floats'}, shape {value.shape}"


def check(learner):
    label_suspects, window_suspects = Suspects(), Suspects()  # a cause is named only when the evidence singles it out
    for number, (description, inputs, targets, window, horizon) in enumerate(cases()):
        time = len(inputs)
        case = f"#{number + 1}, {description}; inputs: {kind_of(inputs)}"
        given = [value.copy() if isinstance(value, np.ndarray) else list(value) for value in (inputs, targets)]
        got = learner.call("window_pairs", *given, window, horizon, case=case)
        call = f"window_pairs(inputs of {time} hours, targets, window={window}, horizon={horizon})"
        if got is None:
            raise CheckFailed(f"case: {case}\n{call} returned None: did you forget the `return`?")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(
                f"case: {case}\n{call} should return two arrays, (windows, labels); it returned {short_repr(got)}"
            )
        windows_got = as_array(got[0], f"{call}'s windows")
        labels_got = as_array(got[1], f"{call}'s labels")
        windows, labels = reference(inputs, targets, window, horizon)

        mistakes = label_mistakes(targets, window, horizon, labels_got, labels, windows)
        expect_close(
            labels_got,
            labels,
            f"{call}'s labels",
            case=case,
            axes="pair",
            mistakes=label_suspects.named(labels_got, labels, mistakes),
        )
        mistakes = window_mistakes(inputs, targets, window, horizon, windows_got, windows, labels)
        axes = ("pair", "hour in the window", "feature")[: windows.ndim]
        expect_close(
            windows_got,
            windows,
            f"{call}'s windows",
            case=case,
            axes=axes,
            mistakes=window_suspects.named(windows_got, windows, mistakes),
        )
    return (
        "window_pairs pairs every window with the value `horizon` hours after its last row (horizons 1 to 24, "
        "window 1, a single series, ints, lists) and gives empty arrays of the right shapes when no pair fits."
    )
