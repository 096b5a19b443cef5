"""Lesson 08: the lesson runs as a notebook (quick) and forecasts; the split, the scaling, the alignment of windows
and labels and the filling of gaps cannot leak the future; the autoregressive roll-out carries its state; predict."""

import keras
import numpy as np
import pytest

from course_utils import data
from course_utils.lesson import definitions
from course_utils.runs import Run, load_model
from tests.helpers import assert_one_line_error, assert_png, read_metrics, tensorboard_scalars
from tests.helpers import lesson_main as main
from tests.notebook import (
    assert_every_code_cell_shows_something,
    code_cell_lengths,
    execute_lesson,
    figures_shown,
    printed_text,
)

LESSON = "lesson08_forecasting"
lesson = definitions(LESSON)
BASELINES = ("persistence", "same_hour_yesterday", "same_hour_last_week", "climatology", "linear")


@pytest.fixture(scope="module")
def table(real_data):
    return lesson.read_pollution(data.fetch("pollution"))


@pytest.fixture(scope="module")
def notebook_run(real_data, tmp_path_factory):
    return execute_lesson(LESSON, tmp_path_factory.mktemp("lesson08"))


@pytest.fixture(scope="module")
def quick_run(notebook_run):
    return notebook_run[1]


def test_the_notebook_shows_each_step(notebook_run):
    notebook, run_dir = notebook_run
    metrics = read_metrics(run_dir)
    assert_every_code_cell_shows_something(notebook)
    assert max(code_cell_lengths(f"lessons/{LESSON}.py")) <= 40
    assert figures_shown(notebook) == 6, "week/year, cycles, training, error by horizon, interval, trap"
    text = printed_text(notebook)
    assert "43,824 hours, 2010-01-01T00 to 2014-12-31T23; PM2.5 missing in 2,067" in text
    assert "filled forward:   [nan, 3.0, 3.0, 3.0, 7.0, 7.0]" in text
    assert "window [0, 1, 2, 3] -> label 5" in text, "the label is two hours after the window's last hour"
    assert f"| persistence on the same 35,039 pairs | {metrics['published_persistence_rmse']:.3f} |" in text
    assert "Total params" in text, "model.summary() is shown"


def test_quick_run_writes_every_output_and_beats_persistence_a_day_ahead(quick_run):
    metrics = read_metrics(quick_run)
    assert metrics["quick"] is True and metrics["cell"] == "gru" and metrics["units"] == 32
    for key in (*BASELINES, "rnn", "autoregressive"):
        for error in ("mae_1h", "rmse_1h", "mae_24h", "rmse_24h"):
            assert np.isfinite(metrics[f"{key}_{error}"]) and metrics[f"{key}_{error}"] > 0, (key, error)
        assert metrics[f"{key}_rmse_24h"] >= metrics[f"{key}_mae_24h"]
        assert len(metrics[f"{key}_mae_by_horizon"]) == lesson.HORIZONS
    # persistence is far better an hour ahead than a day ahead, and two epochs on one year already beat it at 24 h
    assert metrics["persistence_mae_1h"] < 0.3 * metrics["persistence_mae_24h"]
    assert metrics["skill_24h_vs_persistence"] == pytest.approx(
        1 - metrics["rnn_mae_24h"] / metrics["persistence_mae_24h"]
    )
    assert metrics["skill_24h_vs_persistence"] > 0.05
    best = min(BASELINES, key=lambda key: metrics[f"{key}_mae_24h"])
    assert metrics["best_baseline_24h"] == best
    assert metrics["skill_24h_vs_best_baseline"] == pytest.approx(
        1 - metrics["rnn_mae_24h"] / metrics[f"{best}_mae_24h"]
    )
    assert 0.6 < metrics["coverage_80"] < 0.95 and 0.6 < metrics["coverage_80_1h"] < 0.98
    assert metrics["train_forecasts"] == 8760 and metrics["test_forecasts"] == metrics["val_forecasts"] == 8759
    # the published protocol's persistence, on its 35,039 pairs, is exactly what was measured for the issue
    assert round(metrics["published_persistence_rmse"], 3) == 26.559
    for png in ("pm25_week_and_year.png", "cycles.png", "training.png", "error_by_horizon.png", "interval_week.png"):
        assert_png(quick_run / png)
    scalars = tensorboard_scalars(quick_run / "logs")
    assert sorted(scalars["validation/epoch_loss"]) == [0, 1]
    assert set(lesson.Config.__dataclass_fields__) <= set(metrics)


def test_the_saved_model_scales_with_the_training_rows_only(quick_run, table):
    """The statistics inside the saved model are those of the training year(s) alone: changing every validation
    and test row leaves them as they are, and they differ from statistics over all the rows."""
    model = load_model(quick_run / "model.keras", LESSON)
    layer = model.get_layer("training_statistics")
    features = lesson.hourly_features({k: v[24:] for k, v in table.items()})
    rows = lesson.split_rows(table["time"][24:], quick=True)
    train = features[rows["train"]]
    np.testing.assert_allclose(np.ravel(layer.mean), np.nanmean(train, axis=0), rtol=1e-4, atol=1e-4)
    all_rows = np.nanmean(features[rows["train"].start :], axis=0)
    assert not np.allclose(np.ravel(layer.mean)[lesson.PM], all_rows[lesson.PM], rtol=1e-3)


def test_standardise_takes_its_statistics_from_the_training_rows_alone():
    rng = np.random.default_rng(0)
    train = rng.normal(5, 2, size=(200, 3))
    train[:, 2] = 7.0  # constant in training
    train[3, 0] = np.nan
    splits = {"train": train, "val": rng.normal(50, 9, size=(30, 3)), "test": rng.normal(-40, 1, size=(30, 3))}
    scaled, (mean, std) = lesson.standardise(splits)
    np.testing.assert_allclose(mean, np.nanmean(train, axis=0))
    assert std[2] == 1.0 and np.isfinite(scaled["test"]).all()
    other = {**splits, "val": splits["val"] * 100, "test": splits["test"] - 1000}
    np.testing.assert_array_equal(lesson.standardise(other)[1][0], mean)  # no validation or test row counts
    np.testing.assert_allclose(scaled["val"], (splits["val"] - mean) / std)


def test_each_label_is_exactly_h_hours_after_its_window(table):
    times = table["time"][24:]
    readings = table["pm2.5"][24:]
    features = lesson.hourly_features({k: v[24:] for k, v in table.items()})
    rows = lesson.split_rows(times)
    window = 12
    labels = lesson.future_values(readings, lesson.HORIZONS, rows["train"].stop)
    ends = lesson.forecast_hours(rows["train"], window)
    dataset = lesson.window_dataset(features, labels, ends, window, batch_size=64)
    x, y = (a.numpy() for a in next(iter(dataset)))
    for i in range(64):
        t = ends[i]
        np.testing.assert_array_equal(x[i], features[t - window + 1 : t + 1])  # the window ends at hour t
        np.testing.assert_array_equal(y[i], readings[t + 1 : t + 1 + lesson.HORIZONS].astype("float32"))
    # no label reaches past the split's last hour: the last training forecasts are not scored on 2013
    stop = rows["train"].stop
    last = labels[ends[-1]]
    assert ends[-1] == stop - 2 and np.isnan(last[1:]).all() and not np.isnan(last[0])
    for t in range(stop - lesson.HORIZONS, stop):
        assert np.isnan(labels[t, stop - t - 1 :]).all()
    # the exercise's function agrees, for every horizon
    for horizon in (1, 5, 24):
        w, y = lesson.window_pairs(np.arange(40), np.arange(40) * 10, window=6, horizon=horizon)
        assert len(w) == 40 - 6 - horizon + 1
        np.testing.assert_array_equal(y, (w[:, -1] + horizon) * 10)


def test_a_gap_is_filled_from_the_past_only():
    rng = np.random.default_rng(1)
    values = rng.normal(size=500)
    values[rng.random(500) < 0.3] = np.nan
    values[:3] = np.nan
    filled = lesson.fill_forward(values)
    assert np.isnan(filled[:3]).all()
    for i in range(3, 500):
        seen = values[: i + 1][~np.isnan(values[: i + 1])]
        assert filled[i] == seen[-1]
    changed = values.copy()
    changed[250:] = 1e6  # the future changes; nothing filled before it does
    np.testing.assert_array_equal(lesson.fill_forward(changed)[:250], filled[:250])


def test_the_climatology_and_the_baselines_use_the_past_and_training_rows_only(table):
    times, readings = table["time"][24:], table["pm2.5"][24:]
    rows = lesson.split_rows(times)
    medians = lesson.climatology_table(times[rows["train"]], readings[rows["train"]])
    january_noon = (times[rows["train"]].astype("datetime64[M]").astype(int) % 12 == 0) & (
        lesson.hour_of_day(times[rows["train"]]) == 12
    )
    assert medians.shape == (12, 24) and medians[0, 12] == np.nanmedian(readings[rows["train"]][january_noon])
    filled = lesson.fill_forward(readings)
    ends = np.array([200, 5000])
    np.testing.assert_array_equal(lesson.persistence(filled, ends, 3), filled[ends][:, None].repeat(3, 1))
    yesterday = lesson.seasonal_naive(filled, ends, 24, 24)
    np.testing.assert_array_equal(yesterday[:, 0], filled[ends - 23])
    np.testing.assert_array_equal(yesterday[:, -1], filled[ends])  # 24 hours ahead: the reading at t itself


def test_the_pinball_loss_skips_missing_labels_and_halves_the_mae_at_the_median():
    rng = np.random.default_rng(2)
    y = rng.normal(size=(16, 5)).astype("float32")
    y[0, 1] = y[3, 4] = np.nan
    prediction = rng.normal(size=(16, 5, 3)).astype("float32")
    q = np.array(lesson.QUANTILES)
    error = y[..., None] - prediction
    expected = np.nanmean(np.maximum(q * error, (q - 1) * error))
    assert float(lesson.pinball_loss(y, prediction)) == pytest.approx(expected, rel=1e-5)
    median = prediction[..., 1:2]
    assert float(lesson.pinball_loss(y, median, (0.5,))) == pytest.approx(0.5 * np.nanmean(np.abs(y - median[..., 0])))
    assert float(lesson.pinball_loss(np.full((2, 2), np.nan, "float32"), np.zeros((2, 2, 3), "float32"))) == 0.0


def test_rolling_forward_carries_the_state_as_a_longer_window_would():
    """The second step of the roll-out, which feeds the first step's forecast back through the cell, equals the
    one-step model run on the window with that forecast appended."""
    config = lesson.Config(units=8, window=6)
    keras.utils.set_random_seed(0)
    model = lesson.build_one_step(config, len(lesson.FEATURES))
    windows = np.random.default_rng(3).normal(size=(4, 6, len(lesson.FEATURES))).astype("float32")
    calendar = np.random.default_rng(4).normal(size=(4, 2, len(lesson.CALENDAR))).astype("float32")
    rolled = lesson.roll_forward(model, windows.copy(), calendar, not_filled=-0.5)
    first = keras.ops.convert_to_numpy(model(windows))[..., 0]
    np.testing.assert_allclose(rolled[:, 0], first[:, lesson.PM], rtol=1e-5, atol=1e-5)
    first[:, lesson.CALENDAR], first[:, lesson.FILLED] = calendar[:, 0], -0.5
    longer = np.concatenate([windows, first[:, None]], axis=1)
    second = keras.ops.convert_to_numpy(model(longer))[..., 0]
    np.testing.assert_allclose(rolled[:, 1], second[:, lesson.PM], rtol=1e-4, atol=1e-4)


def test_the_published_protocol_is_run_as_published(table, tmp_path):
    run = Run.start(LESSON, run_dir=tmp_path / "run")
    model_rmse, persistence_rmse, pairs = lesson.published_protocol(table, epochs=1, seed=0, run=run)
    assert pairs == 35_039 and round(persistence_rmse, 3) == 26.559
    assert np.isfinite(model_rmse) and model_rmse > 0


def test_predict_forecasts_the_next_day_after_an_hour(quick_run, capsys):
    argv = ["predict", "--model", str(quick_run / "model.keras"), "2014-06-01T12", "2013-01-05 03"]
    assert main(LESSON, argv) == 0
    out = capsys.readouterr().out
    assert "after 2014-06-01 12h" in out and "after 2013-01-05 03h" in out
    rows = [line for line in out.splitlines() if line.startswith("| 2014-06-0")]
    assert len(rows) == lesson.HORIZONS and rows[0].startswith("| 2014-06-01 13h") and "| 2014-06-02 12h" in rows[-1]
    low, median, high = (float(v) for v in rows[0].split("|")[2:5])
    assert 0 <= low <= median <= high


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "yesterday"], "'yesterday' is not an hour"),
        (["predict", "2016-01-01T00"], "no 24-hour window ends at 2016-01-01T00"),
        (["predict", "2010-01-01T05"], "no 24-hour window ends at 2010-01-01T05"),
    ],
)
def test_predict_refuses_a_bad_hour_in_one_line(quick_run, argv, message, capsys):
    argv = [argv[0], "--model", str(quick_run / "model.keras"), *argv[1:]]
    assert_one_line_error(lambda a: main(LESSON, a), argv, capsys, message)


def test_predict_refuses_a_file_that_is_not_the_pm25_file(quick_run, tmp_path, capsys):
    other = tmp_path / "other.csv"
    other.write_text("a,b,c\n1,2,3\n")
    argv = ["predict", "--model", str(quick_run / "model.keras"), "--file", str(other)]
    assert_one_line_error(lambda a: main(LESSON, a), argv, capsys, "is not the Beijing PM2.5 file")
    short = tmp_path / "short.csv"
    short.write_text(",".join(["No", *lesson.COLUMNS]) + "\n1,2010,1,1,0,NA,-21\n")
    argv = ["predict", "--model", str(quick_run / "model.keras"), "--file", str(short)]
    assert_one_line_error(lambda a: main(LESSON, a), argv, capsys, "not a number or a date")
