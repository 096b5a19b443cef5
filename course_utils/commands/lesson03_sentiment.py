"""``python -m lessons.lesson03_sentiment predict`` and ``make compare03`` (``... compare``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from course_utils import REPO_ROOT, CourseError, cli, plots
from course_utils.atomic import write_atomic
from course_utils.inputs import read_json, text_inputs
from course_utils.layers import RECURRENT_LAYERS
from course_utils.runs import display_path, is_finished, load_model, newest_model, runs_root
from lessons.saved.lesson03_sentiment import LESSON, review_probabilities

COMMANDS = {"compare": "Train rnn, lstm and gru at the same budget."}
PREDICT_INPUT = "a review's text; '-' reads reviews from stdin, one a line"
MAX_REVIEW_CHARS = 100_000  # the longest IMDB review has about 14,000


def compare(config, argv: list[str]) -> int:
    """The whole lesson once per cell, each in its own process, then their curves and test accuracies side by side."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = Path(config.run_dir).expanduser() if config.run_dir else runs_root() / LESSON / f"{stamp}-compare"
    flags = cli.without_flag(cli.without_flag(argv, "--cell"), "--run-dir")
    results, curves = {}, {}
    for cell in RECURRENT_LAYERS:
        if not is_finished(folder / cell):  # resuming a comparison keeps the cells it has trained
            command = [
                sys.executable,
                "-m",
                f"lessons.{LESSON}",
                *flags,
                "--cell",
                cell,
                "--run-dir",
                str(folder / cell),
            ]
            status = subprocess.run(command, cwd=REPO_ROOT).returncode
            if status:
                return status  # the lesson has said why
        results[cell] = read_json(folder / cell / "metrics.json", f"the {cell} run's results", remedy="run it again")
        accuracy = results[cell]["history"]["val_accuracy"]
        curves[cell] = (np.arange(1, len(accuracy) + 1), accuracy)
    fig = plots.line_plot(curves, title="Validation accuracy, same budget", xlabel="epoch", ylabel="accuracy")
    plots.save(fig, folder / "compare_val_accuracy.png")
    plots.save(
        plots.bar_table(
            {c: r["test_accuracy"] for c, r in results.items()}, title="Test accuracy", ylabel="accuracy", reference=0.5
        ),
        folder / "compare_test_accuracy.png",
    )
    table = ["| cell | test accuracy | parameters | seconds per epoch | epochs |", "|---|---|---|---|---|"]
    for cell, r in results.items():
        table.append(
            f"| {cell} | {r['test_accuracy']:.4f} | {r['parameters']:,} | {r['seconds_per_epoch']:.1f} "
            f"| {r['epochs_run']} |"
        )
    write_atomic(folder / "compare.md", "\n".join(table) + "\n")
    summary = {f"{cell}_{key}": r[key] for cell, r in results.items() for key in ("test_accuracy", "seconds_per_epoch")}
    write_atomic(folder / "metrics.json", json.dumps({"lesson": LESSON, "command": "compare", **summary}, indent=2))
    print("\n" + "\n".join(table) + f"\n\nComparison written to {display_path(folder)}")
    return 0


def predict_flags(parser):
    parser.add_argument("--file", help="a text file with one review a line")


def read_inputs(args):
    """The reviews: arguments, then the lines of --file, or standard input; a binary or huge input is one line."""
    texts = text_inputs(args.inputs, "a review", MAX_REVIEW_CHARS, file=args.file, stdin=True)
    if not texts:
        raise CourseError('give a review to classify, e.g.: predict "What a wonderful film!" (or --file, or stdin)')
    if any(not t.strip() for t in texts):
        raise CourseError("one of the reviews is empty")
    return texts


def predict(args):
    texts = read_inputs(args)
    path = args.model or newest_model(LESSON)
    model = load_model(path, LESSON)
    if model.inputs[0].dtype != "string":
        raise CourseError(f"{path} does not take text; is it a lesson03 model?")
    probabilities = review_probabilities(model, texts)
    for text, p in zip(texts, probabilities):
        print(f"{p:.3f}  {'positive' if p > 0.5 else 'negative':<8}  {text[:100]}")
    return probabilities
