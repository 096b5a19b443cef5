"""Lesson 08: forecasting a real time series, honestly.

Five years of hourly PM2.5 (fine particulate matter, µg/m³) measured at the US Embassy in Beijing,
with the weather at the airport: a recurrent network reads the last day and forecasts every
one of the next 24 hours, with an 80% interval around each forecast. Before any network, the
lesson builds the forecasts that need no learning (the last value, the same hour yesterday, the
usual level for that hour and month, a linear model), because a forecast is only as good as its
margin over them. Then it shows the trap that most published examples fall into.

Run it:   make lesson08                       (GRU, about 2 minutes on two cores)
          make lesson08 ARGS="--cell lstm"    (or --cell rnn)
          make lesson08 ARGS="--window 96"     (four days of the past, not one)
Predict:  python -m lessons.lesson08_forecasting predict 2014-12-30T12
Notebook: make notebooks, then open lessons/lesson08_forecasting.ipynb
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import csv
from dataclasses import dataclass

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, data, plots
from course_utils.layers import recurrent_layer
from course_utils.inputs import read_text_file
from course_utils.lesson import LessonConfig, configure, flag, show, show_figure
from course_utils.repro import set_seed
from course_utils.runs import Run, display_path, load_model

LESSON = "lesson08_forecasting"
HORIZONS = 24  # every model forecasts the next 24 hours
QUANTILES = (0.1, 0.5, 0.9)  # the 80% interval and the median
SPLIT_YEARS = {"train": (2010, 2012), "val": (2013, 2013), "test": (2014, 2014)}
f"Keras {keras.__version__} on {keras.backend.backend()}"  # a notebook shows the value of a cell's last line

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run the
# lesson again; as a script every field is a flag (`--cell lstm`, `--window 72`). `--quick` (or
# `COURSE_QUICK=1` in the environment, for a notebook) trains on one year for two epochs.


# %%
@dataclass
class Config(LessonConfig):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    window: int = flag(24, "hours of the past each forecast reads", type=cli.int_between(1, 24 * 28, "four weeks"))
    units: int = flag(128, "recurrent units", type=cli.layer_size)
    dropout: float = flag(0.3, "dropout before the output", type=cli.fraction)
    epochs: int = flag(10, "most training epochs (early stopping on the validation year)", type=cli.positive_int)
    batch_size: int = flag(128, "batch size", type=cli.batch_size)
    learning_rate: float = flag(1e-3, "Adam step", type=cli.learning_rate)
    published_epochs: int = flag(50, "epochs of the published protocol re-run (section 6)", type=cli.positive_int)

    QUICK = {"epochs": 2, "units": 32, "published_epochs": 2}


config = configure(Config, LESSON)
set_seed(config.seed)
run = Run.start(LESSON, config, cell=config.cell)
print(
    f"Lesson 08: forecasting Beijing's PM2.5 with a {config.cell.upper()}({config.units})"
    f"{' (quick: one training year)' if config.quick else ''}. Outputs go to {display_path(run.path)}"
)
show(config)

# %% [markdown]
# ## 1. The data
# `pollution.csv` (UCI's Beijing PM2.5 data) has one row per hour from 1 January 2010 to
# 31 December 2014: the PM2.5 reading, dew point, temperature and pressure, the wind direction
# (north-east, north-west, south-east, or calm and variable: `cv`), the wind speed cumulated
# since the direction last changed, and the hours of snow and of rain cumulated the same way.
# Readings are missing in 2,067 hours, some for days at a time.


# %%
COLUMNS = ["year", "month", "day", "hour", "pm2.5", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is", "Ir"]
WIND_DIRECTIONS = ("NE", "NW", "SE", "cv")


def read_pollution(path):
    """The CSV's columns as NumPy arrays: "time" (datetime64, hours), "pm2.5" (NaN where missing), weather."""
    rows = list(csv.DictReader(read_text_file(path, "the PM2.5 file").splitlines()))
    if not rows or any(name not in rows[0] for name in COLUMNS):
        raise CourseError(f"{path} is not the Beijing PM2.5 file: its columns must include {', '.join(COLUMNS)}")
    try:
        stamps = [f"{r['year']}-{int(r['month']):02d}-{int(r['day']):02d}T{int(r['hour']):02d}" for r in rows]
        table = {"time": np.array(stamps, dtype="datetime64[h]"), "wind": np.array([r["cbwd"] for r in rows])}
        for name in ("pm2.5", "DEWP", "TEMP", "PRES", "Iws", "Is", "Ir"):
            table[name] = np.array([np.nan if r[name] == "NA" else float(r[name]) for r in rows])
    except (TypeError, ValueError) as err:  # a short row gives None
        raise CourseError(f"{path} has a value that is not a number or a date: {str(err)[:80]}") from None
    if np.any(np.diff(table["time"]) != np.timedelta64(1, "h")):
        raise CourseError(f"{path} must have one row per hour, in order, with no hour left out")
    return table


def rows_table(table, start, count):
    """``count`` hours of the table from row ``start``, as a Markdown table."""
    names = ["pm2.5", "DEWP", "TEMP", "PRES", "wind", "Iws", "Is", "Ir"]
    lines = ["| time | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for i in range(start, start + count):
        values = [f"{table[n][i]:g}" if n != "wind" else table[n][i] for n in names]
        lines.append(f"| {str(table['time'][i]).replace('T', ' ')}h | " + " | ".join(values) + " |")
    return "\n".join(lines)


table = read_pollution(data.fetch("pollution"))
pm = table["pm2.5"]
print(f"{len(pm):,} hours, {table['time'][0]} to {table['time'][-1]}; PM2.5 missing in {np.isnan(pm).sum():,}")
print(
    f"PM2.5: median {np.nanmedian(pm):.0f}, mean {np.nanmean(pm):.0f}, 99th percentile {np.nanpercentile(pm, 99):.0f}"
)
show(rows_table(table, 22, 5))

# %% [markdown]
# A week of readings, then a whole year. Days of clean air alternate with episodes that build
# up over a day or two and end within hours, when a north wind arrives: the level is hard to
# forecast a day ahead, easy an hour ahead.


# %%
def series_figure(table, start, hours, title, ax):
    times = table["time"][start : start + hours].astype("datetime64[m]").astype(object)
    ax.plot(times, table["pm2.5"][start : start + hours], color="#444", linewidth=0.8)
    ax.set_title(title)
    ax.set_ylabel("PM2.5 (µg/m³)")
    ax.tick_params("x", labelrotation=20)


first_week_of_march = int(np.flatnonzero(table["time"] == np.datetime64("2013-03-01T00"))[0])
fig, axes = plt.subplots(2, 1, figsize=(10, 5.5))
series_figure(table, first_week_of_march, 7 * 24, "One week (March 2013)", axes[0])
series_figure(table, first_week_of_march - 59 * 24, 365 * 24, "One year (2013)", axes[1])
fig.tight_layout()
show_figure(fig, run, "pm25_week_and_year.png")

# %% [markdown]
# The daily and weekly cycles: the median reading by hour of the day and by day of the week
# (the line) and the middle half of the readings (the band). Evenings are worse than
# afternoons; the day of the week matters little. Both cycles are small next to the swings
# above, which is why a forecast from the calendar alone will not do. (Only the training years
# are summarised here: the test year, 2014, stays unlooked-at until the end.)


# %%
def cycle(values, keys, count):
    """The 25th, 50th and 75th percentile of ``values`` for each key 0 .. count - 1 (NaNs left out)."""
    return np.array([np.nanpercentile(values[keys == k], (25, 50, 75)) for k in range(count)])


def hour_of_day(times):
    return times.astype("int64") % 24


def day_of_week(times):  # 1970-01-01 was a Thursday: day 0 is Monday
    return (times.astype("datetime64[D]").astype("int64") + 3) % 7


training_years = table["time"] < np.datetime64("2013-01-01T00")
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
for ax, keys, count, label in (
    (axes[0], hour_of_day(table["time"][training_years]), 24, "hour of day"),
    (axes[1], day_of_week(table["time"][training_years]), 7, "day of week (0 = Monday)"),
):
    low, median, high = cycle(pm[training_years], keys, count).T
    ax.fill_between(range(count), low, high, alpha=0.25, color="#1f77b4")
    ax.plot(range(count), median, "o-", color="#1f77b4")
    ax.set_xlabel(label)
axes[0].set_ylabel("PM2.5 (µg/m³)")
fig.suptitle("Daily and weekly cycles, training years 2010-2012")
fig.tight_layout()
show_figure(fig, run, "cycles.png")

# %% [markdown]
# ## 2. Missing readings: fill from the past only
# A forecaster standing at hour t knows every reading up to t and none after it. A missing
# reading can therefore be filled only from the past: we carry the last reading forward, and add
# a column that says the value was filled, so the network can learn to trust it less. Filling a
# gap by interpolating between its two ends (`pandas.interpolate`, a common first step in
# tutorials) lets the hour after the gap leak into every hour of it. The first hours of 2010 have
# no past at all and are dropped. A missing reading is never a *label*: those hours are left out
# of every loss and every error below.


# %%
def fill_forward(values):
    """Each NaN replaced by the last value before it; a NaN with nothing before it stays NaN."""
    seen = np.where(np.isnan(values), -1, np.arange(len(values)))
    last_seen = np.maximum.accumulate(seen)
    return np.where(last_seen >= 0, values[np.maximum(last_seen, 0)], np.nan)


toy = np.array([np.nan, 3.0, np.nan, np.nan, 7.0, np.nan])
print("readings:        ", toy.tolist())
print("filled forward:  ", fill_forward(toy).tolist())
first_reading = int(np.flatnonzero(~np.isnan(pm))[0])
whole_file = table  # section 10 re-runs a published protocol on the file as it is
table = {name: column[first_reading:] for name, column in table.items()}  # the first hours have no past
gap = int(np.flatnonzero(np.isnan(table["pm2.5"]))[0])
print(f"\nDropped the first {first_reading} hours (no reading yet). The first gap, {table['time'][gap]}:")
print("readings:", table["pm2.5"][gap - 2 : gap + 4].tolist())
print("filled:  ", fill_forward(table["pm2.5"])[gap - 2 : gap + 4].tolist())

# %% [markdown]
# ## 3. Features, a split in time, and scaling from the training years only
# Each hour becomes a row of numbers: the (filled) reading and its logarithm (the readings span
# 1 to 994, and the logarithm makes a rise from 10 to 20 look as large as one from 200 to 400),
# whether it was filled, the weather, the wind direction one-hot, and the hour of the day, the
# day of the year and the day of the week as points on a circle (sine and cosine: 23:00 is next
# to 00:00, which the number 23 is not). The calendar columns are known for future hours too.
#
# The split is in time: 2010-2012 to train, 2013 to choose when to stop, 2014 to test, once.
# A random split would put hours of the same pollution episode on both sides, and the test would
# measure memory, not forecasting.


# %%
FEATURES = [
    "pm2.5", "log pm2.5", "pm2.5 filled", "dew point", "temperature", "pressure", "wind speed", "snow hours",
    "rain hours", *(f"wind {d}" for d in WIND_DIRECTIONS), "hour sin", "hour cos", "day of year sin",
    "day of year cos", "weekday sin", "weekday cos",
]  # fmt: skip
PM, FILLED = FEATURES.index("pm2.5"), FEATURES.index("pm2.5 filled")
CALENDAR = [i for i, name in enumerate(FEATURES) if name.endswith((" sin", " cos"))]


def calendar_columns(times):
    """Hour of day, day of year and day of week as (sin, cos) pairs: six columns known for any hour."""
    day_of_year = (times - times.astype("datetime64[Y]")).astype("int64") / 24
    angles = [hour_of_day(times) / 24, day_of_year / 365.25, day_of_week(times) / 7]
    return np.stack([f(2 * np.pi * a) for a in angles for f in (np.sin, np.cos)], axis=1)


def hourly_features(table):
    """One row of len(FEATURES) numbers per hour (float32)."""
    filled = fill_forward(table["pm2.5"])
    weather = [table[name] for name in ("DEWP", "TEMP", "PRES", "Iws", "Is", "Ir")]
    wind = [table["wind"] == d for d in WIND_DIRECTIONS]
    columns = [filled, np.log1p(filled), np.isnan(table["pm2.5"]), *weather, *wind]
    return np.concatenate([np.stack(columns, axis=1), calendar_columns(table["time"])], axis=1).astype("float32")


features = hourly_features(table)
print(f"Features: {features.shape[0]:,} hours x {features.shape[1]} columns; the first hour:")
show({name: round(float(value), 3) for name, value in zip(FEATURES, features[0])})


# %%
def split_rows(times, quick=False):
    """Each split's rows as a slice, by year; a quick run trains on the last training year only."""
    years = times.astype("datetime64[Y]").astype("int64") + 1970
    rows = {}
    for name, (first, last) in SPLIT_YEARS.items():
        first = last if quick and name == "train" else first
        inside = np.flatnonzero((years >= first) & (years <= last))
        rows[name] = slice(int(inside[0]), int(inside[-1]) + 1)
    return rows


splits = split_rows(table["time"], quick=config.quick)
show(
    "\n".join(
        ["| split | first hour | last hour | hours | missing readings |", "|---|---|---|---|---|"]
        + [
            f"| {name} | {table['time'][rows.start]} | {table['time'][rows.stop - 1]} | {rows.stop - rows.start:,} "
            f"| {int(np.isnan(table['pm2.5'][rows]).sum())} |"
            for name, rows in splits.items()
        ]
    )
)

# %% [markdown]
# Networks learn best from columns of similar size, so every column is standardised: minus its
# mean, divided by its standard deviation. Those statistics must come from the training rows
# alone, like everything else the model is allowed to know. Computing them over all five years,
# as many tutorials do, hands the model the test year's average level before it has seen a
# single test hour. (A column that never changes in training is divided by 1, not 0.) Exercise
# ex08b writes this function: `make check EX=ex08b`.


# %%
def standardise(splits):
    """Every split scaled with the training rows' mean and standard deviation: (scaled splits, (mean, std))."""
    mean = np.nanmean(splits["train"], axis=0)
    std = np.nanstd(splits["train"], axis=0)
    std = np.where(std > 0, std, 1.0)
    return {name: (rows - mean) / std for name, rows in splits.items()}, (mean, std)


scaled_splits, (mean, std) = standardise({name: features[rows] for name, rows in splits.items()})
scaled = np.full_like(features, np.nan)
for name, rows in splits.items():
    scaled[rows] = scaled_splits[name]
show(
    "\n".join(
        ["| column | training mean | training std | validation year's mean, scaled |", "|---|---|---|---|"]
        + [
            f"| {FEATURES[i]} | {mean[i]:.2f} | {std[i]:.2f} | {np.nanmean(scaled_splits['val'][:, i]):+.2f} |"
            for i in (PM, FEATURES.index("dew point"), FEATURES.index("pressure"), FEATURES.index("wind speed"))
        ]
    )
)

# %% [markdown]
# ## 4. Windows and labels
# A forecast made at hour t reads the `window` hours up to and including t, and is scored on the
# readings of hours t + 1 to t + 24. Getting this alignment wrong by one hour is the most common
# bug in forecasting code, and it is silent: a label that is also the window's last input makes a
# model look brilliant. Here it is on a toy series whose values are their own hour numbers
# (exercise ex08a writes `window_pairs`: `make check EX=ex08a`):


# %%
def window_pairs(inputs, targets, window, horizon):
    """(windows, labels): windows[i] = inputs[i : i + window], labels[i] = targets[i + window - 1 + horizon]."""
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    count = max(len(inputs) - window - horizon + 1, 0)
    starts = np.arange(count)
    windows = inputs[starts[:, None] + np.arange(window)] if count else inputs[:0][:, None].repeat(window, 1)
    return windows, targets[starts + window - 1 + horizon]


hours = np.arange(10)
toy_windows, toy_labels = window_pairs(hours, hours, window=4, horizon=2)
for w, y in zip(toy_windows[:3], toy_labels[:3]):
    print(f"window {w.tolist()} -> label {int(y)}  (two hours after {int(w[-1])})")

# %% [markdown]
# For training, the same pairs come from `tf.data`: each example is only an index t, and the
# pipeline gathers its window and its 24 labels when the batch is made, so the five years are
# stored once, not once per window. The labels of a split never reach past its last hour (the
# last 23 forecasts of 2012 would otherwise be scored on January 2013), and a missing reading is
# a NaN label, which the losses below skip.


# %%
def future_values(targets, horizons, stop):
    """Row t holds targets[t + 1 : t + 1 + horizons], NaN past ``stop`` (the end of the split)."""
    padded = np.concatenate([targets[:stop], np.full(horizons, np.nan)])
    return np.lib.stride_tricks.sliding_window_view(padded[1:], horizons)[:stop].astype("float32")


def forecast_hours(rows, window, first_row=0):
    """The hours t of a split (a slice) at which a forecast is made: those with a full window of rows from
    ``first_row`` on behind them, and at least one hour of the split after them."""
    return np.arange(max(rows.start, first_row + window - 1), rows.stop - 1)


def window_dataset(inputs, labels, ends, window, batch_size, seed=None):
    """Batches of (inputs[t - window + 1 : t + 1], labels[t]) for each t in ``ends``; shuffled when seeded."""
    dataset = tf.data.Dataset.from_tensor_slices(ends.astype("int64"))
    if seed is not None:
        dataset = dataset.shuffle(len(ends), seed=seed)
    inputs, labels, offsets = tf.constant(inputs), tf.constant(labels), tf.range(-window + 1, 1, dtype="int64")
    gather = lambda t: (tf.gather(inputs, t[:, None] + offsets), tf.gather(labels, t))  # noqa: E731
    return dataset.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


pm_readings = table["pm2.5"]  # the labels: real readings, NaN where missing
labels = {name: future_values(pm_readings, HORIZONS, rows.stop) for name, rows in splits.items()}
first_row = splits["train"].start  # a quick run has no scaled rows before its training year
ends = {name: forecast_hours(rows, config.window, first_row) for name, rows in splits.items()}
x, y = next(iter(window_dataset(scaled, labels["train"], ends["train"], config.window, 4)))
print(f"One batch: inputs {tuple(x.shape)} (examples, hours, features), labels {tuple(y.shape)} (examples, horizons)")
print("Forecasts made: " + ", ".join(f"{len(t):,} {name}" for name, t in ends.items()))
print(
    f"First training forecast: made at {table['time'][ends['train'][0]]}, first label at "
    f"{table['time'][ends['train'][0] + 1]} = {labels['train'][ends['train'][0], 0]:g}"
)

# %% [markdown]
# ## 5. Baselines before any network
# Five forecasts without a recurrent network, each a fair rival: it uses only what is known at hour t.
# - **persistence**: the last reading, for every horizon;
# - **same hour yesterday** and **same hour last week** (seasonal naive);
# - **climatology**: the median training reading for that hour of the day in that month (the
#   median, not the mean, is the constant with the smallest absolute error);
# - a **linear model** on the whole window (below, trained like the networks).
#
# Errors are in µg/m³: the mean absolute error (MAE) and the root mean squared error (RMSE, which
# punishes the large misses of a pollution episode more), at each horizon, over the test year's
# hours that have a reading.


# %%
def errors(forecasts, truth):
    """MAE and RMSE at each horizon, over the labels present: two arrays of shape (horizons,)."""
    miss = np.where(np.isnan(truth), np.nan, forecasts - truth)
    return np.nanmean(np.abs(miss), axis=0), np.sqrt(np.nanmean(miss**2, axis=0))


def persistence(filled, ends, horizons):
    return np.repeat(filled[ends][:, None], horizons, axis=1)


def seasonal_naive(filled, ends, horizons, period):
    """The reading ``period`` hours before each forecast hour (every horizon must be at most ``period``)."""
    return filled[ends[:, None] + np.arange(1, horizons + 1) - period]


def climatology_table(times, readings):
    """The median reading by (month, hour of day): a 12 x 24 table, from the rows given (the training rows)."""
    month = times.astype("datetime64[M]").astype("int64") % 12
    return np.array([[np.nanmedian(readings[(month == m) & (hour_of_day(times) == h)]) for h in range(24)]
                     for m in range(12)])  # fmt: skip


def climatology(medians, times, ends, horizons):
    future = times[ends][:, None] + np.arange(1, horizons + 1).astype("timedelta64[h]")
    return medians[future.astype("datetime64[M]").astype("int64") % 12, hour_of_day(future)]


filled_pm = features[:, PM].astype("float64")
train_rows = splits["train"]
medians = climatology_table(table["time"][train_rows], pm_readings[train_rows])
test_truth = labels["test"][ends["test"]]
baselines = {
    "persistence": persistence(filled_pm, ends["test"], HORIZONS),
    "same hour yesterday": seasonal_naive(filled_pm, ends["test"], HORIZONS, 24),
    "same hour last week": seasonal_naive(filled_pm, ends["test"], HORIZONS, 24 * 7),
    "climatology": climatology(medians, table["time"], ends["test"], HORIZONS),
}
scores = {name: errors(forecast, test_truth) for name, forecast in baselines.items()}


def scores_table(scores, reference="persistence"):
    """MAE and RMSE at 1 h and 24 h for each forecast, and its skill over ``reference`` (1 - MAE / reference's)."""
    ref = scores[reference][0]
    lines = ["| forecast | MAE 1 h | RMSE 1 h | MAE 24 h | RMSE 24 h | skill 1 h | skill 24 h |", "|---" * 7 + "|"]
    for name, (mae, rmse) in scores.items():
        skill = 1 - mae / ref
        lines.append(f"| {name} | {mae[0]:.1f} | {rmse[0]:.1f} | {mae[-1]:.1f} | {rmse[-1]:.1f} "
                     f"| {skill[0]:+.3f} | {skill[-1]:+.3f} |")  # fmt: skip
    return "\n".join(lines)


show(scores_table(scores))

# %% [markdown]
# ## 6. A loss for quantiles, and the model
# Rather than one number per hour, the network forecasts three: the 10th, 50th and 90th
# percentiles (quantiles) of what the reading may be. The 50th is the point forecast; the 10th
# and 90th bound an 80% interval. The **pinball loss** teaches a quantile q: for an error
# e = reading - forecast it costs q·e when the forecast is too low and (1 - q)·(-e) when it is
# too high, so the 90th percentile is pushed up nine times harder than down, and ends where 90%
# of readings fall below it. For q = 0.5 it is half the absolute error: the median minimises the
# MAE. A missing reading (NaN) counts for nothing. Exercise ex08c writes it: `make check EX=ex08c`.


# %%
def pinball_loss(y_true, y_pred, quantiles=QUANTILES):
    """Mean pinball loss over the labels present: y_true (batch, horizons), y_pred (batch, horizons, quantiles)."""
    y_true = keras.ops.cast(y_true, y_pred.dtype)
    present = keras.ops.logical_not(keras.ops.isnan(y_true))
    y_true = keras.ops.where(present, y_true, 0.0)  # before the subtraction: a NaN would poison the gradient
    error = keras.ops.expand_dims(y_true, -1) - y_pred
    q = keras.ops.convert_to_tensor(quantiles, dtype=y_pred.dtype)
    loss = keras.ops.maximum(q * error, (q - 1.0) * error)
    weight = keras.ops.expand_dims(keras.ops.cast(present, y_pred.dtype), -1)
    count = keras.ops.sum(weight) * len(quantiles)
    return keras.ops.sum(loss * weight) / keras.ops.maximum(count, 1.0)


@keras.saving.register_keras_serializable(package="course_lesson08")
class PinballLoss(keras.losses.Loss):
    """``pinball_loss`` as a Keras loss, saved with its quantiles."""

    def __init__(self, quantiles=QUANTILES, name="pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = tuple(quantiles)

    def call(self, y_true, y_pred):
        return pinball_loss(y_true, y_pred, self.quantiles)

    def get_config(self):
        return {"name": self.name, "quantiles": list(self.quantiles)}


toy_truth = np.array([[100.0, np.nan]], dtype="float32")  # the NaN label is skipped
for q in QUANTILES:
    low, high = (float(pinball_loss(toy_truth, np.full((1, 2, 1), guess, "float32"), (q,))) for guess in (80, 120))
    print(f"reading 100, quantile {q}: forecast 80 (too low) costs {low:4.1f}, forecast 120 (too high) {high:4.1f}")

# %% [markdown]
# The network reads the window with a recurrent layer, and a Dense layer turns its last state
# into 24 x 3 numbers. Those are not the forecasts themselves but *changes* from the last
# reading: the layer below adds the window's last (scaled) reading to them, so a change of zero
# is persistence, and training only has to learn how the next day differs from now (the
# untrained network's changes are small random numbers, below). A Rescaling layer turns scaled
# values back into µg/m³. The linear baseline is the same model with the recurrent layer
# replaced by a flat view of the whole window.


# %%
@keras.saving.register_keras_serializable(package="course_lesson08")
class FromLastValue(keras.layers.Layer):
    """Changes (batch, outputs, k) plus the window's last value of ``column`` (all columns when None)."""

    def __init__(self, column=None, **kwargs):
        super().__init__(**kwargs)
        self.column = column

    def call(self, window, change):
        last = window[:, -1, :]
        last = last[:, :, None] if self.column is None else last[:, self.column, None, None]
        return change + last

    def get_config(self):
        return {**super().get_config(), "column": self.column}


def build_forecaster(config, n_features, pm_mean, pm_std, linear=False, quantiles=QUANTILES):
    """Window of scaled features -> (batch, HORIZONS, len(quantiles)) forecasts of PM2.5 in µg/m³."""
    window = keras.Input((config.window, n_features), name="window")
    if linear:
        x = keras.layers.Flatten(name="flat_window")(window)
    else:
        x = recurrent_layer(config.cell, config.units, name=config.cell)(window)
        x = keras.layers.Dropout(config.dropout, seed=config.seed)(x)
    change = keras.layers.Dense(HORIZONS * len(quantiles), name="change")(x)
    change = keras.layers.Reshape((HORIZONS, len(quantiles)))(change)
    forecast = FromLastValue(PM, name="from_last_reading")(window, change)
    forecast = keras.layers.Rescaling(pm_std, offset=pm_mean, name="micrograms")(forecast)
    model = keras.Model(window, forecast, name="linear" if linear else f"{config.cell}_forecaster")
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0), loss=PinballLoss(quantiles))
    return model


model = build_forecaster(config, len(FEATURES), mean[PM], std[PM])
model.summary()
untrained = keras.ops.convert_to_numpy(model(x))
print(
    f"Untrained, on the batch above: output {untrained.shape}; first forecast's median for hours 1-3: "
    f"{[round(float(v), 1) for v in untrained[0, :3, 1]]}, last reading {filled_pm[ends['train'][0]]:g}"
)

# %% [markdown]
# ## 7. Training: the linear model, then the network
# Both minimise the pinball loss on the training years and stop when the validation year's loss
# has not improved for two epochs, keeping the best epoch's weights. The linear model learns only
# the median. `run.fit` calls `model.fit` with the run's callbacks: TensorBoard logs, and a backup
# after every epoch, so an interrupted run resumes (`--run-dir` with the run's folder).


# %%
def train(model, phase=None, targets=labels):
    training = window_dataset(scaled, targets["train"], ends["train"], config.window, config.batch_size, config.seed)
    validation = window_dataset(scaled, targets["val"], ends["val"], config.window, 1024)
    stop = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    return run.fit(model, training, validation_data=validation, epochs=config.epochs, callbacks=[stop], phase=phase)


def forecast(model, split):
    """The model's forecasts for every forecast hour of ``split``, in µg/m³, never below 0, quantiles in order."""
    windows = window_dataset(scaled, labels[split], ends[split], config.window, 1024)
    return np.sort(np.maximum(model.predict(windows, verbose=0), 0.0), axis=-1)


linear = build_forecaster(config, len(FEATURES), mean[PM], std[PM], linear=True, quantiles=(0.5,))
train(linear, phase="linear")
set_seed(config.seed)  # the network starts from the same random state however the linear model trained
baselines["linear"] = forecast(linear, "test")[..., 0]
scores["linear"] = errors(baselines["linear"], test_truth)
show(scores_table(scores))

# %%
history = train(model)
show_figure(plots.training_curves(history.history, title=f"{config.cell.upper()}, pinball loss"), run, "training.png")
MEDIAN = QUANTILES.index(0.5)
quantile_forecasts = forecast(model, "test")
validation_mae = errors(forecast(model, "val")[..., MEDIAN], labels["val"][ends["val"]])[0]
scores[f"{config.cell.upper()}, all 24 hours at once"] = errors(quantile_forecasts[..., MEDIAN], test_truth)
print(
    f"Best validation loss {min(history.history['val_loss']):.2f} after epoch "
    f"{int(np.argmin(history.history['val_loss'])) + 1} of {len(history.history['loss'])}; on the validation year, "
    f"MAE {validation_mae[0]:.1f} at 1 hour and {validation_mae[-1]:.1f} at 24 hours (the test year's below)"
)
show(scores_table(scores))

# %% [markdown]
# ## 8. All 24 hours at once, or one hour at a time?
# The network above forecasts the 24 hours directly. The other way is the one lesson 07 used to
# write text: a model that forecasts only the next hour (here, every feature of the next hour),
# whose forecast is fed back as if it were the next reading, 24 times. The calendar columns of
# future hours are known and put in as they are; the weather is the model's own forecast. Each
# step stands on the previous step's error, which is why such forecasts tend to drift.


# %%
def build_one_step(config, n_features):
    """Window of scaled features -> the next hour's scaled features, (batch, n_features, 1)."""
    window = keras.Input((None, n_features), name="window")
    output, *_ = recurrent_layer(config.cell, config.units, return_state=True, name="recurrent")(window)
    change = keras.layers.Dense(n_features, name="change")(keras.layers.Dropout(config.dropout)(output))
    change = keras.layers.Reshape((n_features, 1))(change)
    model = keras.Model(window, FromLastValue(name="from_last_row")(window, change), name="one_step")
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0), loss=PinballLoss((0.5,)))
    return model


def next_rows(scaled, readings, stop):
    """Labels of the one-step model: row t holds the scaled row t + 1, with NaN where nothing is to be learned
    (a missing reading, the 'filled' flag, the calendar, and past the split's end)."""
    rows = np.full_like(scaled[:stop], np.nan)
    rows[:-1] = scaled[1:stop]
    rows[:-1][np.isnan(readings[1:stop]), :FILLED] = np.nan
    rows[:, [FILLED, *CALENDAR]] = np.nan
    return rows


next_hour = {name: next_rows(scaled, pm_readings, rows.stop) for name, rows in splits.items()}
learned = ~np.isnan(next_hour["train"][ends["train"]])
print(f"One-step labels: {next_hour['train'].shape}; columns learned: "
      f"{[FEATURES[i] for i in np.flatnonzero(learned.any(axis=0))]}")  # fmt: skip


# %%
def roll_forward(model, windows, future_calendar, not_filled):
    """Autoregressive forecasts of the scaled reading, (batch, horizons): each step's output is the next input.
    ``future_calendar``: the calendar columns of the hours ahead; ``not_filled``: the scaled 'filled' flag 0."""
    cell_layer, change = model.get_layer("recurrent"), model.get_layer("change")
    output, *state = cell_layer(windows)
    row = windows[:, -1, :] + keras.ops.convert_to_numpy(change(output))
    steps = []
    for k in range(future_calendar.shape[1]):
        row[:, CALENDAR], row[:, FILLED] = future_calendar[:, k], not_filled  # known, not forecast
        steps.append(row[:, PM].copy())
        output, state = cell_layer.cell(keras.ops.convert_to_tensor(row), state)
        row = row + keras.ops.convert_to_numpy(change(output))
    return np.stack(steps, axis=1)


def future_calendar(times, ends, horizons, mean, std):
    """The scaled calendar columns of the hours t + 1 .. t + horizons after each forecast hour t."""
    future = (times[ends][:, None] + np.arange(1, horizons + 1).astype("timedelta64[h]")).ravel()
    columns = (calendar_columns(future) - mean[CALENDAR]) / std[CALENDAR]
    return columns.reshape(len(ends), horizons, len(CALENDAR)).astype("float32")


def rolled_forecasts(model, forecast_ends, horizons):
    """``roll_forward`` from the windows ending at ``forecast_ends``, in µg/m³."""
    windows = scaled[forecast_ends[:, None] + np.arange(-config.window + 1, 1)]
    calendar = future_calendar(table["time"], forecast_ends, horizons, mean, std)
    scaled_pm = roll_forward(model, windows, calendar, not_filled=-mean[FILLED] / std[FILLED])
    return np.maximum(scaled_pm * std[PM] + mean[PM], 0.0)


one_step = build_one_step(config, len(FEATURES))
toy_forecast = rolled_forecasts(one_step, ends["test"][:2], 3)
print(
    "Untrained one-step model rolled forward 3 hours from two windows (µg/m³):",
    toy_forecast.astype(float).round(1).tolist(),
)

# %%
set_seed(config.seed)
train(one_step, phase="one_step", targets=next_hour)
parts = np.array_split(ends["test"], max(1, len(ends["test"]) // 2048))
rolled = np.concatenate([rolled_forecasts(one_step, part, HORIZONS) for part in parts])
scores[f"{config.cell.upper()}, one hour at a time"] = errors(rolled, test_truth)
show(scores_table(scores))

# %% [markdown]
# The error at every horizon, for every forecast. Persistence is hard to beat at one hour and
# poor at a day; climatology does not depend on the horizon at all. Compare the two networks: the
# one that forecasts all 24 hours at once against the one fed its own forecasts, which starts as
# well and drifts as its errors pile up.


# %%
def horizon_figure(scores, naive=("persistence", "same hour yesterday", "same hour last week", "climatology")):
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for name, (mae, _) in scores.items():
        learned = name not in naive
        ax.plot(np.arange(1, HORIZONS + 1), mae, "-" if learned else "--", linewidth=2 if learned else 1.2, label=name)
    ax.set_xlabel("hours ahead")
    ax.set_ylabel("MAE on the test year (µg/m³)")
    ax.set_title("Error by horizon")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


show_figure(horizon_figure(scores), run, "error_by_horizon.png")

# %% [markdown]
# ## 9. How sure is the forecast? The 80% interval
# An interval is worth something only if it holds what it promises: the readings should fall
# between the 10th and the 90th percentile forecasts 80% of the time, on the test year, which the
# network never saw. That fraction is the interval's **coverage**. Below, the day-ahead forecasts
# for a week of February 2014, a severe haze episode, made 24 hours before each hour.


# %%
def coverage(quantile_forecasts, truth):
    """The fraction of the labels present that lie between the lowest and the highest quantile, per horizon."""
    inside = (truth >= quantile_forecasts[..., 0]) & (truth <= quantile_forecasts[..., -1])
    return np.nansum(np.where(np.isnan(truth), np.nan, inside), axis=0) / np.sum(~np.isnan(truth), axis=0)


def interval_figure(times, quantile_forecasts, truth, first, hours=7 * 24, horizon=HORIZONS):
    rows = np.arange(first, first + hours)
    when = (times[rows] + np.timedelta64(horizon, "h")).astype("datetime64[m]").astype(object)
    low, median, high = quantile_forecasts[rows, horizon - 1].T
    fig, ax = plt.subplots(figsize=(10, 3.8))
    ax.fill_between(when, low, high, color="#1f77b4", alpha=0.25, label="80% interval")
    ax.plot(when, median, color="#1f77b4", label=f"median forecast, made {horizon} h before")
    ax.plot(when, truth[rows, horizon - 1], color="black", linewidth=1, label="reading")
    ax.set_ylabel("PM2.5 (µg/m³)")
    ax.set_title("Day-ahead forecasts of the test year, with their 80% interval")
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


covered = coverage(quantile_forecasts, test_truth)
test_times = table["time"][ends["test"]]
week = int(np.searchsorted(test_times, np.datetime64("2014-02-19T00")))
show_figure(interval_figure(test_times, quantile_forecasts, test_truth, week), run, "interval_week.png")
print(
    f"Coverage of the 80% interval on the test year: {covered[0]:.3f} at 1 hour, {covered[-1]:.3f} at 24 hours "
    f"(mean over the horizons {covered.mean():.3f})"
)
width = quantile_forecasts[..., -1] - quantile_forecasts[..., 0]
print(f"Median interval width: {np.median(width[:, 0]):.0f} µg/m³ at 1 hour, {np.median(width[:, -1]):.0f} at 24 hours")

# %% [markdown]
# ## 10. The persistence trap
# Plot an hour-ahead forecast against the readings and it will almost always look superb: the
# two curves lie on top of each other. Look closer and the forecast is often the reading shifted
# one hour to the right, which is persistence, the forecast that knows nothing. The **skill
# score** exposes it: 1 - error / persistence's error on the same hours, 0 for a forecast no
# better than the last value, and negative for a worse one.


# %%
def lag_figure(times, readings, forecasts, first, hours=48):
    when = times[first : first + hours].astype("datetime64[m]").astype(object)
    fig, ax = plt.subplots(figsize=(10, 3.4))
    ax.plot(when, readings[first : first + hours], "o-", color="black", markersize=3, label="reading")
    for name, values in forecasts.items():
        ax.plot(when, values[first : first + hours], "-", linewidth=1.5, label=name)
    ax.set_ylabel("PM2.5 (µg/m³)")
    ax.set_title("Hour-ahead forecasts look perfect: each is the reading one hour late")
    ax.legend(fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


hour_ahead = {"persistence (the last reading)": baselines["persistence"][:, 0],
              f"{config.cell.upper()}, 1 hour ahead": quantile_forecasts[:, 0, MEDIAN]}  # fmt: skip
target_times = test_times + np.timedelta64(1, "h")
show_figure(lag_figure(target_times, test_truth[:, 0], hour_ahead, week + 24), run, "persistence_trap.png")
skill_1h = 1 - scores[f"{config.cell.upper()}, all 24 hours at once"][0][0] / scores["persistence"][0][0]
print(f"Skill of the network's hour-ahead forecast over persistence: {skill_1h:+.3f}")

# %% [markdown]
# The best-known LSTM tutorial on this very file forecasts one hour ahead from the previous hour
# alone and reports a test RMSE of 26.496 µg/m³. Its protocol: missing readings set to 0, a
# min-max scaler fitted on all five years (test year included), the first year for training, the
# other four for testing, and the test set passed to `fit` as validation data. The cell below
# runs that protocol as published (LSTM(50), MAE loss, Adam, batches of 72, `published_epochs`
# epochs) and scores persistence on the same 35,039 pairs.


# %%
def published_protocol(table, epochs, seed, run):
    """The tutorial's 1-hour protocol: (its LSTM's test RMSE, persistence's test RMSE), in µg/m³."""
    columns = ["pm2.5", "DEWP", "TEMP", "PRES", "wind", "Iws", "Is", "Ir"]
    wind_code = {d: i for i, d in enumerate(WIND_DIRECTIONS)}  # its LabelEncoder's order (sorted names)
    values = np.stack([np.vectorize(wind_code.get)(table[c]) if c == "wind" else table[c] for c in columns], 1)
    values = np.nan_to_num(values[24:].astype("float32"), nan=0.0)  # NaN -> 0, first day dropped
    low, high = values.min(axis=0), values.max(axis=0)  # fitted on every year: the leak
    scaled_all = (values - low) / (high - low)
    x, y = scaled_all[:-1, None, :], scaled_all[1:, 0]
    train_hours = 365 * 24
    keras.utils.set_random_seed(seed)
    lstm = keras.Sequential([keras.Input((1, len(columns))), keras.layers.LSTM(50), keras.layers.Dense(1)])
    lstm.compile(loss="mae", optimizer="adam")
    test = (x[train_hours:], y[train_hours:])
    run.fit(lstm, x[:train_hours], y=y[:train_hours], epochs=epochs, batch_size=72, validation_data=test,
            validation_batch_size=4096, shuffle=False, phase="published", histograms=False, verbose=0)  # fmt: skip
    to_micrograms = lambda v: v * (high[0] - low[0]) + low[0]  # noqa: E731
    truth = to_micrograms(test[1])
    predicted = to_micrograms(lstm.predict(test[0], batch_size=4096, verbose=0)[:, 0])
    last = to_micrograms(test[0][:, 0, 0])
    rmse = lambda f: float(np.sqrt(np.mean((f - truth) ** 2)))  # noqa: E731
    return rmse(predicted), rmse(last), len(truth)


published_rmse, published_persistence_rmse, published_pairs = published_protocol(
    whole_file, config.published_epochs, config.seed, run
)
show("\n".join([
    "| the tutorial's protocol, 1 hour ahead | test RMSE (µg/m³) |", "|---|---|",
    "| its LSTM, as published | 26.496 |",
    f"| its LSTM, re-run here ({config.published_epochs} epochs) | {published_rmse:.3f} |",
    f"| persistence on the same {published_pairs:,} pairs | {published_persistence_rmse:.3f} |",
    f"| skill of the re-run over persistence | {1 - published_rmse / published_persistence_rmse:+.3f} |",
]))  # fmt: skip

# %% [markdown]
# ## 11. The results, and the model saved
# Every number of the tables above goes to `metrics.json`, with the skill scores the lesson is
# judged by: the network's day-ahead MAE against persistence's and against the best of the five
# baselines. The course set itself a skill of 0.10 over the best baseline a day ahead and did not
# reach it: measured on all five years (README, lesson 08's table), the default scores about 0.15
# over persistence but 0.04 over the linear model, and no variant tried did much better. A day
# ahead, the weather to come decides most of the level, and no model here is given it. The
# saved model has the scaling in front (a `Normalization` layer holding the training
# statistics), so it takes raw feature windows and gives µg/m³.


# %%
def metric_key(name):
    if name.endswith("all 24 hours at once"):
        return "rnn"
    if name.endswith("one hour at a time"):
        return "autoregressive"
    return name.replace(" ", "_")


def forecast_metrics(scores, covered):
    results = {}
    for name, (mae, rmse) in scores.items():
        key = metric_key(name)
        results |= {f"{key}_mae_1h": mae[0], f"{key}_rmse_1h": rmse[0], f"{key}_mae_24h": mae[-1],
                    f"{key}_rmse_24h": rmse[-1], f"{key}_mae_by_horizon": mae}  # fmt: skip
    best = min(("persistence", "same_hour_yesterday", "same_hour_last_week", "climatology", "linear"),
               key=lambda key: results[f"{key}_mae_24h"])  # fmt: skip
    results |= {
        "skill_1h_vs_persistence": 1 - results["rnn_mae_1h"] / results["persistence_mae_1h"],
        "skill_24h_vs_persistence": 1 - results["rnn_mae_24h"] / results["persistence_mae_24h"],
        "skill_24h_vs_best_baseline": 1 - results["rnn_mae_24h"] / results[f"{best}_mae_24h"],
        "best_baseline_24h": best,
        "coverage_80": covered[-1],
        "coverage_80_1h": covered[0],
    }
    return results


def with_scaling(model, mean, std):
    """The model with the training statistics in front: raw feature windows in, µg/m³ out."""
    raw = keras.Input(model.input_shape[1:], name="raw_window")
    normalise = keras.layers.Normalization(mean=mean, variance=std**2, name="training_statistics")
    return keras.Model(raw, model(normalise(raw)), name="pm25_forecaster")


results = forecast_metrics(scores, covered)
results |= {"published_rmse": published_rmse, "published_persistence_rmse": published_persistence_rmse}
results |= {"rnn_val_mae_1h": validation_mae[0], "rnn_val_mae_24h": validation_mae[-1]}
model_file = run.save_model(with_scaling(model, mean, std))
sizes = {f"{name}_forecasts": len(t) for name, t in ends.items()}
run.write_metrics(results, config, features=FEATURES, **sizes)
run.finish()
show("\n".join(["| key | value |", "|---|---|"] + [
    f"| {key} | {results[key]:.3f} |" for key in
    ("skill_1h_vs_persistence", "skill_24h_vs_persistence", "skill_24h_vs_best_baseline", "coverage_80")
]))  # fmt: skip

# %% [markdown]
# ## 12. Using the model
# The reloaded model forecasts from raw features. Here, the 24 hours after the last hour of the
# data, with the 80% interval; from the command line, for any hour of the file (or of a file of
# your own in the same format): `python -m lessons.lesson08_forecasting predict 2014-12-30T12`.


# %%
def forecast_after(model, times, features, hour, window):
    """Quantile forecasts (HORIZONS, quantiles) in µg/m³ for the hours after ``hour``, from its window of
    ``features`` (``hourly_features`` of the table whose hours are ``times``)."""
    at = int(np.searchsorted(times, hour))
    if at >= len(times) or times[at] != hour or at < window - 1:
        first, last = times[window - 1], times[-1]
        raise CourseError(f"no {window}-hour window ends at {hour}: give an hour from {first} to {last}")
    rows = features[at - window + 1 : at + 1]
    if np.isnan(rows).any():
        raise CourseError(f"the {window} hours up to {hour} include hours before the first reading")
    return np.sort(np.maximum(keras.ops.convert_to_numpy(model(rows[None]))[0], 0.0), axis=-1)


def forecast_table(hour, forecasts, every=3):
    lines = ["| hour | 10% | median | 90% |", "|---|---|---|---|"]
    for k in range(every - 1, len(forecasts), every):
        low, median, high = forecasts[k]
        lines.append(f"| {str(hour + np.timedelta64(k + 1, 'h')).replace('T', ' ')}h | {low:.0f} | {median:.0f} "
                     f"| {high:.0f} |")  # fmt: skip
    return "\n".join(lines)


reloaded = load_model(model_file, LESSON)
last_hour = table["time"][-1]
show(forecast_table(last_hour, forecast_after(reloaded, table["time"], features, last_hour, config.window)))

# %% [markdown]
# What the numbers mean next to published ones. Forecasting results are comparable only on the
# same data, horizon and protocol, and most published ones are on other series, so the table
# names each one's own baseline: the margin over it is what transfers.


# %%
PUBLISHED = [  # (source, series and horizon, model's error, its baseline's error)
    ("Chollet, Deep Learning with Python (2nd ed.), ch. 10", "Jena temperature, 24 h, MAE °C",
     "2 x GRU(32) 2.39", "last value 2.62"),
    ("TensorFlow time-series tutorial", "Jena, 24 h in -> 24 h out, MAE (scaled)",
     "LSTM 0.2769", "repeat yesterday 0.3774"),
    ("Géron, Hands-On ML (3rd ed.), ch. 15", "Chicago ridership, 1 day, MAE",
     "multivariate RNN 22,062", "last week 42,143"),
    ("the LSTM tutorial on this file (section 10)", "Beijing PM2.5, 1 h, RMSE", "LSTM 26.496",
     "persistence 26.559 (measured here)"),
]  # fmt: skip


def published_table(results, config):
    lines = ["| source | series, horizon, error | model | baseline |", "|---|---|---|---|"]
    lines.append(f"| this run, {config.cell.upper()}({config.units}), test year 2014 | Beijing PM2.5, 24 h, MAE µg/m³ "
                 f"| {results['rnn_mae_24h']:.1f} | best baseline ({results['best_baseline_24h']}) "
                 f"{results[results['best_baseline_24h'] + '_mae_24h']:.1f} |")  # fmt: skip
    lines += [f"| {source} | {what} | {model} | {baseline} |" for source, what, model, baseline in PUBLISHED]
    return "\n".join(lines)


if config.quick:
    print("A quick run (one training year, two epochs): its numbers are not the lesson's results.")
show(published_table(results, config))
print("\nNext: the exercises for this lesson: make check EX=ex08   (stuck? make hint EX=ex08a)")
