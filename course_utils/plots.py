"""Plots the lessons share, saved as PNG (and drawn inline in a notebook by ``lesson.show_figure``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors as mcolors

from course_utils.atomic import atomic_target

plt.rcParams.update(
    {
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.titleweight": "bold",
        "font.size": 10,
    }
)
PALETTE = {"rnn": "#1f77b4", "lstm": "#d62728", "gru": "#2ca02c", "train": "#1f77b4", "val": "#ff7f0e"}


def save(fig, path: str | Path) -> Path:
    """Save ``fig`` as PNG (atomically) and close it."""
    path = Path(path)
    try:
        with atomic_target(path) as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def training_curves(history: Mapping[str, Sequence[float]], title: str = "Training curves"):
    """Loss and every other metric, train against validation, one panel each."""
    names = [k for k in history if not k.startswith("val_") and k not in ("epoch_time_s", "learning_rate")]
    names.sort(key=lambda k: k != "loss")
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names):
        train = history[name]
        epochs = np.arange(1, len(train) + 1)
        ax.plot(epochs, train, "o-", color=PALETTE["train"], label="train")
        if f"val_{name}" in history:
            ax.plot(epochs, history[f"val_{name}"], "s--", color=PALETTE["val"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name.replace("_", " "))
        ax.set_title(name.replace("_", " "))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def line_plot(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    logy: bool = False,
    colors: Mapping[str, str] | None = None,
):
    """Several named (x, y) curves on one axis, e.g. gradient norm against distance."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, (x, y) in series.items():
        color = (colors or PALETTE).get(name)
        ax.plot(x, y, label=name, color=color, linewidth=2, marker="o" if len(x) <= 12 else None)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def heatmap(
    matrix,
    *,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str,
    xlabel: str = "",
    ylabel: str = "",
    annotate: bool = True,
    fmt: str = "{:.2f}",
    cmap: str = "Blues",
    highlight: Sequence[tuple[int, int]] = (),
    ax=None,
):
    """A labelled matrix: attention weights, a confusion matrix, per-step probabilities.

    Draws on ``ax`` when given (to put several in one figure), else on a new figure.
    """
    matrix = np.asarray(matrix, dtype=float)
    rows, cols = matrix.shape
    if ax is None:
        fig, ax = plt.subplots(figsize=(max(4, 0.55 * cols + 2), max(3, 0.45 * rows + 1.5)))
    else:
        fig = ax.figure
    image = ax.imshow(matrix, cmap=cmap, aspect="auto")
    ax.grid(False)
    ax.set_xticks(range(cols), labels=col_labels, rotation=45 if max(map(len, col_labels), default=0) > 8 else 0)
    ax.set_yticks(range(rows), labels=row_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if annotate and rows * cols <= 400:
        for i in range(rows):
            for j in range(cols):
                red, green, blue, _ = image.cmap(image.norm(matrix[i, j]))  # the cell's own colour: dark or light
                color = "white" if 0.299 * red + 0.587 * green + 0.114 * blue < 0.5 else "black"
                ax.text(j, i, fmt.format(matrix[i, j]), ha="center", va="center", color=color, fontsize=8)
    for i, j in highlight:
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="#d62728", linewidth=2.5))
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    return fig


def colored_text(text: str, values: Sequence[float], *, title: str, width: int = 80, cmap: str = "RdBu_r"):
    """Draw ``text`` one character per cell, each cell coloured by its value in [-1, 1].

    This is the picture from Karpathy's char-rnn post: a hidden unit's activation
    over a passage, red for positive, blue for negative. A line break is drawn as "↵"
    at the end of its line; lines longer than ``width`` wrap.
    """
    values = np.clip(np.asarray(values, dtype=float), -1, 1)
    lines, line_values, current, current_values = [], [], [], []
    for ch, v in zip(text, values):
        if len(current) == width:
            lines.append(current)
            line_values.append(current_values)
            current, current_values = [], []
        current.append("↵" if ch == "\n" else ch)
        current_values.append(v)
        if ch == "\n":
            lines.append(current)
            line_values.append(current_values)
            current, current_values = [], []
    if current:
        lines.append(current)
        line_values.append(current_values)
    colormap = plt.get_cmap(cmap)
    norm = mcolors.Normalize(-1, 1)
    width = max(min(width, max((len(line) for line in lines), default=1)), 20)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.13 * width + 1.2), 0.26 * len(lines) + 1.2))
    ax.set_xlim(0, width)
    ax.set_ylim(len(lines), 0)
    ax.axis("off")
    for row, (chars, vals) in enumerate(zip(lines, line_values)):
        for col, (ch, v) in enumerate(zip(chars, vals)):
            ax.add_patch(plt.Rectangle((col, row), 1, 1, color=colormap(norm(v)), linewidth=0))
            ink = "white" if abs(v) > 0.75 else "black"
            ax.text(col + 0.5, row + 0.55, ch, ha="center", va="center", family="monospace", fontsize=9, color=ink)
    ax.set_title(title)
    scale = fig.colorbar(
        plt.cm.ScalarMappable(norm=norm, cmap=colormap),
        ax=ax,
        orientation="horizontal",
        fraction=0.04,
        pad=0.02,
        aspect=40,
    )
    scale.set_label("activation")
    fig.tight_layout()
    return fig


def bar_table(values: Mapping[str, float], *, title: str, ylabel: str, reference: float | None = None):
    """Bars for a few named results, e.g. accuracy of rnn / lstm / gru, with an optional chance line."""
    fig, ax = plt.subplots(figsize=(1.4 * len(values) + 2.5, 3.6))
    names = list(values)
    bars = ax.bar(names, [values[n] for n in names], color=[PALETTE.get(n, "#7f7f7f") for n in names])
    ax.bar_label(bars, fmt="%.3f")
    if reference is not None:
        ax.axhline(reference, color="black", linestyle=":", label="chance")
        ax.legend()
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig
