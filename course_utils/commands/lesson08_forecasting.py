"""``python -m lessons.lesson08_forecasting predict``: the next 24 hours' PM2.5 after an hour of the file."""

from __future__ import annotations

import numpy as np

from course_utils import CourseError, data
from course_utils.inputs import text_inputs
from course_utils.runs import load_model, newest_model
from lessons.saved.lesson08_forecasting import LESSON, forecast_after, forecast_table, hourly_features, read_pollution

PREDICT_INPUT = "an hour of the file, e.g. 2014-12-30T12 (default: its last hour)"


def predict_flags(parser):
    parser.add_argument("--file", help="a CSV file in the format of pollution.csv (default: the course's copy)")


def parse_hour(text: str) -> np.datetime64:
    try:
        return np.datetime64(text.strip().replace(" ", "T"), "h")
    except ValueError:
        raise CourseError(f"{text!r} is not an hour; write it as YYYY-MM-DDTHH, e.g. 2014-12-30T12") from None


def predict(args):
    hours = [parse_hour(text) for text in text_inputs(args.inputs, "an hour", 40)]  # checked before anything loads
    table = read_pollution(args.file or data.fetch("pollution"))
    features = hourly_features(table)  # once: each hour's window is a slice of it
    model = load_model(args.model or newest_model(LESSON), LESSON)
    window = model.input_shape[1]
    for hour in hours or [table["time"][-1]]:
        print(f"PM2.5 (µg/m³) after {str(hour).replace('T', ' ')}h, from the {window} hours up to it:")
        print(forecast_table(hour, forecast_after(model, table["time"], features, hour, window), every=1) + "\n")
