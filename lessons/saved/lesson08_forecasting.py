"""The definitions of lessons/lesson08_forecasting.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
import csv
from dataclasses import dataclass
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from course_utils import CourseError, cli
from course_utils.layers import recurrent_layer
from course_utils.inputs import read_text_file
from course_utils.lesson import LessonConfig, flag


LESSON = "lesson08_forecasting"


HORIZONS = 24  # every model forecasts the next 24 hours


QUANTILES = (0.1, 0.5, 0.9)  # the 80% interval and the median


SPLIT_YEARS = {"train": (2010, 2012), "val": (2013, 2013), "test": (2014, 2014)}


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


def series_figure(table, start, hours, title, ax):
    times = table["time"][start : start + hours].astype("datetime64[m]").astype(object)
    ax.plot(times, table["pm2.5"][start : start + hours], color="#444", linewidth=0.8)
    ax.set_title(title)
    ax.set_ylabel("PM2.5 (µg/m³)")
    ax.tick_params("x", labelrotation=20)


def cycle(values, keys, count):
    """The 25th, 50th and 75th percentile of ``values`` for each key 0 .. count - 1 (NaNs left out)."""
    return np.array([np.nanpercentile(values[keys == k], (25, 50, 75)) for k in range(count)])


def hour_of_day(times):
    return times.astype("int64") % 24


def day_of_week(times):  # 1970-01-01 was a Thursday: day 0 is Monday
    return (times.astype("datetime64[D]").astype("int64") + 3) % 7


def fill_forward(values):
    """Each NaN replaced by the last value before it; a NaN with nothing before it stays NaN."""
    seen = np.where(np.isnan(values), -1, np.arange(len(values)))
    last_seen = np.maximum.accumulate(seen)
    return np.where(last_seen >= 0, values[np.maximum(last_seen, 0)], np.nan)


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


def split_rows(times, quick=False):
    """Each split's rows as a slice, by year; a quick run trains on the last training year only."""
    years = times.astype("datetime64[Y]").astype("int64") + 1970
    rows = {}
    for name, (first, last) in SPLIT_YEARS.items():
        first = last if quick and name == "train" else first
        inside = np.flatnonzero((years >= first) & (years <= last))
        rows[name] = slice(int(inside[0]), int(inside[-1]) + 1)
    return rows


def standardise(splits):
    """Every split scaled with the training rows' mean and standard deviation: (scaled splits, (mean, std))."""
    mean = np.nanmean(splits["train"], axis=0)
    std = np.nanstd(splits["train"], axis=0)
    std = np.where(std > 0, std, 1.0)
    return {name: (rows - mean) / std for name, rows in splits.items()}, (mean, std)


def window_pairs(inputs, targets, window, horizon):
    """(windows, labels): windows[i] = inputs[i : i + window], labels[i] = targets[i + window - 1 + horizon]."""
    inputs, targets = np.asarray(inputs), np.asarray(targets)
    count = max(len(inputs) - window - horizon + 1, 0)
    starts = np.arange(count)
    windows = inputs[starts[:, None] + np.arange(window)] if count else inputs[:0][:, None].repeat(window, 1)
    return windows, targets[starts + window - 1 + horizon]


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


def scores_table(scores, reference="persistence"):
    """MAE and RMSE at 1 h and 24 h for each forecast, and its skill over ``reference`` (1 - MAE / reference's)."""
    ref = scores[reference][0]
    lines = ["| forecast | MAE 1 h | RMSE 1 h | MAE 24 h | RMSE 24 h | skill 1 h | skill 24 h |", "|---" * 7 + "|"]
    for name, (mae, rmse) in scores.items():
        skill = 1 - mae / ref
        lines.append(f"| {name} | {mae[0]:.1f} | {rmse[0]:.1f} | {mae[-1]:.1f} | {rmse[-1]:.1f} "
                     f"| {skill[0]:+.3f} | {skill[-1]:+.3f} |")  # fmt: skip
    return "\n".join(lines)


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


MEDIAN = QUANTILES.index(0.5)


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
