"""Check for ex08b: every split scaled with the training rows' statistics, on weather-like tables whose validation
and test rows have very different means (so statistics over every split, or each split's own, show at once);
missing values (NaN), a column constant in training, only "train" and "test", "train" last in the dict, float32."""

from collections.abc import Mapping

import numpy as np

from exercises.checking import CheckFailed, Suspects, as_array, expect_close, matching_mistake, short_repr

TITLE = "standardise with the training rows' statistics only"
HINTS = (
    "Everything comes from splits['train']: np.nanmean(train, axis=0) and np.nanstd(train, axis=0) give one "
    "mean and one std per column (axis=0 runs down the rows), ignoring NaN. Where the std is 0, use 1 instead "
    "(np.where(std == 0, 1.0, std)). Then build a NEW dict: for every name in splits, (rows - mean) / std, the "
    "same mean and std for every split (NumPy broadcasts the (columns,) statistics over the rows; NaN stays NaN).",
    '    train = np.asarray(splits["train"], dtype=float)\n'
    "    mean = np.nanmean(train, axis=...)\n"
    "    std = np.nanstd(train, axis=...)\n"
    "    std = np.where(std == 0, ..., std)\n"
    "    scaled = {name: (rows - ...) / ... for name, rows in splits.items()}\n"
    "    return scaled, (mean, std)",
)
COLUMNS = ("PM2.5", "dew point", "temperature", "pressure")


def weather(rng, rows, shift):
    """Hourly rows like lesson 08's: PM2.5, dew point, temperature, pressure; `shift` moves every mean far away."""
    table = np.column_stack(
        [
            rng.gamma(2.0, 45.0, rows) + 150.0 * shift,
            rng.normal(2.0 - 9.0 * shift, 14.0, rows),
            rng.normal(12.0 - 11.0 * shift, 12.0, rows),
            rng.normal(1016.0 + 12.0 * shift, 10.0, rows),
        ]
    )
    return np.round(table, 1)


def cases():
    """(description, splits) for each call."""
    rng = np.random.default_rng(808)
    far = "; the val and test rows' means are far from train's"
    plain = {"train": weather(rng, 48, 0.0), "val": weather(rng, 24, 1.0), "test": weather(rng, 20, 1.5)}

    missing = {"train": weather(rng, 40, 0.0), "val": weather(rng, 18, 1.2), "test": weather(rng, 15, 1.0)}
    missing["train"][[3, 10, 11, 30], 0] = np.nan  # PM2.5 missing for some hours
    missing["val"][[2, 5], 0] = np.nan
    missing["test"][0, 0] = missing["test"][4, 2] = np.nan  # and a temperature

    rain = {name: rows[:, :3] for name, rows in (("train", weather(rng, 36, 0.0)), ("val", weather(rng, 12, 0.8)))}
    rain["test"] = weather(rng, 10, 1.7)[:, :3]
    hours = {"train": np.zeros(36), "val": rng.integers(0, 6, 12).astype(float), "test": np.r_[0.0, 3.0, np.zeros(8)]}
    rain = {name: np.column_stack([rows, hours[name]]) for name, rows in rain.items()}

    only_test = {"train": weather(rng, 30, 0.0), "test": weather(rng, 16, 2.0)}
    last = {"test": weather(rng, 14, 1.2), "validation": weather(rng, 12, 1.5), "train": weather(rng, 32, 0.0)}
    single = {"train": weather(rng, 28, 0.0)[:, :2].astype(np.float32)}
    single["val"] = weather(rng, 12, 1.0)[:, :2].astype(np.float32)
    return [
        (f"train 48 rows, val 24, test 20; 4 columns ({', '.join(COLUMNS)}){far}", plain),
        (
            "some hours missing (NaN): PM2.5 in train rows 3, 10, 11, 30, val rows 2, 5 and test row 0, and test "
            f"row 4's temperature{far}",
            missing,
        ),
        (
            "column 3 is the hours of rain: 0 in every training row (std 0), not always 0 in val and test; 4 columns",
            rain,
        ),
        ('only two splits, "train" and "test" (no "val")', only_test),
        ('three splits given in the order "test", "validation", "train" (train last)', last),
        ("float32 arrays, 2 columns (PM2.5, dew point), splits train and val", single),
    ]


# ---------------------------------------------------------------- the reference, and the mistakes it can make
def statistics(train, how="train"):
    """(mean, std) per column the right way, or as a named mistake computes them."""
    train = np.asarray(train, dtype=np.float64)
    if how == "mean":  # np.mean / np.std: a NaN in a column makes its statistics NaN
        mean, std = train.mean(axis=0), train.std(axis=0)
    elif how == "zero":  # NaN filled with 0 first
        mean, std = np.nan_to_num(train).mean(axis=0), np.nan_to_num(train).std(axis=0)
    elif how == "ddof":
        mean, std = np.nanmean(train, axis=0), np.nanstd(train, axis=0, ddof=1)
    elif how == "rows":
        mean, std = np.nanmean(train, axis=1), np.nanstd(train, axis=1)
    elif how == "whole":
        mean, std = np.nanmean(train), np.nanstd(train)
    elif how == "minmax":
        mean, std = np.nanmin(train, axis=0), np.nanmax(train, axis=0) - np.nanmin(train, axis=0)
    else:
        mean, std = np.nanmean(train, axis=0), np.nanstd(train, axis=0)
    return mean, std


def reference(splits, *, source="train", how="train", zero_std=False, divide="std", nan_to_zero=False):
    """({name: scaled rows}, (mean, std)) as lesson 08 computes them, or with one of the named mistakes.

    source: whose statistics ("train", "all" splits together, "own" split, "first" split in the dict). how: see
    `statistics`. zero_std: a std of 0 left as it is. divide: "std", "var" (the variance) or "none" (centred
    only). nan_to_zero: NaN in the scaled rows replaced by 0."""
    arrays = {name: np.asarray(rows, dtype=np.float64) for name, rows in splits.items()}
    if source == "all":
        train = np.concatenate(list(arrays.values()))
    elif source == "first":
        train = next(iter(arrays.values()))
    else:
        train = arrays["train"]

    def fixed(std):
        return std if zero_std else np.where(std == 0, 1.0, std)

    mean, std = statistics(train, how)
    scaled = {}
    with np.errstate(all="ignore"):
        for name, rows in arrays.items():
            m, s = statistics(rows, how) if source == "own" else (mean, std)
            if how == "rows":
                scaled = None  # (rows, columns) minus a (rows,) mean: NumPy refuses (or gets it wrong)
                break
            s = fixed(s)
            divisor = {"std": s, "var": s**2, "none": 1.0}[divide]
            out = (rows - m) / divisor
            scaled[name] = np.nan_to_num(out, nan=0.0, posinf=np.inf, neginf=-np.inf) if nan_to_zero else out
    return scaled, (mean, fixed(std))


MISTAKES = {
    "by computing the mean and std over every split together (np.concatenate of them all): the validation and "
    "test years then leak into the scaling, which is the leak lesson 08 is about. Take them from splits['train'] "
    "alone": dict(source="all"),
    "by scaling each split with its own mean and std: every split must be scaled with the TRAINING statistics "
    "(a model trained on one scale must be tested on the same one)": dict(source="own"),
    "by taking the statistics from the first split in the dict: use splits['train'], wherever it comes": dict(
        source="first"
    ),
    "by computing the statistics per row (axis=1) instead of per column (axis=0)": dict(how="rows"),
    "by computing one mean and one std over the whole training array (no axis): each column needs its own, "
    "axis=0": dict(how="whole"),
    "with np.mean and np.std: one missing value (NaN) makes its column's statistics NaN; np.nanmean and "
    "np.nanstd ignore it": dict(how="mean"),
    "by replacing the missing values with 0 before computing the statistics: leave them out (np.nanmean, "
    "np.nanstd), a 0 is not a measurement": dict(how="zero"),
    "with ddof=1 (the sample std of pandas' .std() or np.nanstd(..., ddof=1)): the docstring asks for np.nanstd's "
    "default, ddof=0": dict(how="ddof"),
    "by dividing by a std of 0 for a column constant in training (inf and NaN): divide by 1 there, "
    "np.where(std == 0, 1.0, std)": dict(zero_std=True),
    "with min-max scaling ((rows - min) / (max - min)) instead of standardising ((rows - mean) / std)": dict(
        how="minmax"
    ),
    "by dividing by the variance (std**2, np.nanvar) instead of the std": dict(divide="var"),
    "by subtracting the mean without dividing by the std": dict(divide="none"),
    "by replacing NaN with 0 in the scaled rows: a missing value must stay NaN": dict(nan_to_zero=True),
}


def mistakes_for(splits):
    """{description: ({name: scaled} or None, mean, std)} for every named mistake, on these splits."""
    found = {}
    for description, options in MISTAKES.items():
        scaled, (mean, std) = reference(splits, **options)
        found[description] = (scaled, mean, std)
    return found


def returned_std_mistake(splits):
    """The std a learner returns when dividing by 1 for a constant column but returning the 0 (see the check)."""
    _, (_, std) = reference(splits, zero_std=True)
    return std


SWAPPED = "by returning (std, mean): the order is (mean, std)"
RAW_STD = (
    "by returning the std before its 0 became 1: return the std each column was divided by (1 for a column "
    "constant in training), which is what lesson 08 multiplies its forecasts by to undo the scaling"
)


# ---------------------------------------------------------------- comparing, NaN included
def compare(got, expected, what, case, named, axes, atol=1e-5, rtol=1e-5):
    """expect_close where a NaN expected (a missing value) must come out NaN, and NaN on both sides agrees."""
    got = as_array(got, what)
    if got.shape == expected.shape:
        lost = np.isnan(expected) & ~np.isnan(got)
        if lost.any():
            where = tuple(int(i) for i in np.argwhere(lost)[0])
            lines = [f"case: {case}"] if case else []
            lines.append(
                f"{what}: at {list(where)} ({', '.join(f'{a} {i}' for a, i in zip(axes, where))}) the value is "
                f"missing (NaN), and must stay NaN after scaling; got {got[where]:.6g} "
                f"({int(lost.sum())} missing values came out as numbers)."
            )
            cause = matching_mistake(got, named, atol, rtol)
            if cause:
                lines.append(f"This is exactly what you get {cause}.")
            raise CheckFailed("\n".join(lines))
        both = np.isnan(expected) & np.isnan(got)
        if both.any():
            got, expected = np.where(both, 0.0, got), np.where(both, 0.0, expected)
            named = {
                d: np.where(both, 0.0, r) if np.shape(r) == both.shape else r for d, r in named.items() if r is not None
            }
    expect_close(got, expected, what, case=case, axes=axes, mistakes=named, atol=atol, rtol=rtol)


def check(learner):
    suspects = Suspects()  # a cause is named only when the evidence (scaled rows, mean and std alike) singles it out
    for number, (description, splits) in enumerate(cases()):
        case = f"#{number + 1}, {description}"
        given = {name: rows.copy() for name, rows in splits.items()}
        got = learner.call("standardise", given, case=case)
        what = f"standardise(splits with {', '.join(repr(n) for n in splits)})"
        if got is None:
            raise CheckFailed(f"case: {case}\n{what} returned None: did you forget the `return`?")
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            raise CheckFailed(
                f"case: {case}\n{what} should return (scaled splits, (mean, std)); it returned {short_repr(got)}"
            )
        scaled, stats = got
        if not isinstance(scaled, Mapping):
            raise CheckFailed(
                f"case: {case}\n{what} should return a dict of scaled splits first, then (mean, std); its first "
                f"item is {short_repr(scaled)}"
            )
        if not (isinstance(stats, (tuple, list)) and len(stats) == 2):
            raise CheckFailed(
                f"case: {case}\n{what}'s second item should be the pair (mean, std); it is {short_repr(stats)}"
            )
        if set(scaled) != set(splits):
            missing = [name for name in splits if name not in scaled]
            extra = [name for name in scaled if name not in splits]
            lines = [f"case: {case}", f"{what} returned the splits {short_repr(list(scaled))}."]
            if missing:
                lines.append(
                    f"Missing: {', '.join(repr(n) for n in missing)}. Every split given comes back scaled, whatever "
                    "its name (loop over splits.items())."
                )
            if extra:
                lines.append(f"Not given: {', '.join(repr(n) for n in extra)}. Use the names of the splits given.")
            raise CheckFailed("\n".join(lines))

        expected, (mean, std) = reference(splits)
        found = mistakes_for(splits)
        for name in splits:  # the scaled rows first: the statistics a learner returns are less telling
            mistakes = {d: (results[0] or {}).get(name) for d, results in found.items()}
            got_rows = as_array(scaled[name], f"{what}[0][{name!r}]")
            named = suspects.named(got_rows, expected[name], mistakes)
            compare(got_rows, expected[name], f"the scaled {name!r} split", case, named, ("row", "column"))
        for index, part, want, extra in (
            (1, "mean", mean, {SWAPPED: std}),
            (2, "std", std, {SWAPPED: mean, RAW_STD: returned_std_mistake(splits)}),
        ):
            mistakes = {d: results[index] for d, results in found.items()} | extra
            got_part = as_array(stats[index - 1], f"{what}'s {part}")
            named = suspects.named(got_part, want, mistakes)
            compare(got_part, want, f"{what}'s {part}", case, named, ("column",))
    return (
        "standardise scales every split with the training rows' per-column mean and std (NaN ignored, a constant "
        "column divided by 1, NaN kept), whatever the splits are called and in whatever order, and leaves them alone."
    )
