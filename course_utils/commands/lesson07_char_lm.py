"""``python -m lessons.lesson07_char_lm predict`` and ``make compare07`` (``... compare``)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np

from course_utils import REPO_ROOT, CourseError, cli, plots
from course_utils.atomic import write_atomic
from course_utils.inputs import read_json, text_inputs
from course_utils.runs import Run, is_finished, newest_model
from course_utils.layers import check_stateful_backend
from lessons.saved.lesson07_char_lm import (
    LESSON,
    MAX_PRIME_CHARS,
    SAMPLE_LENGTH,
    Generator,
    load_char_model,
    stepper,
)

COMMANDS = {"compare": "Train stateless and stateful at the same seed and budget."}
COMPARED = ("val_loss_nats", "val_bpc", "val_loss_windows_nats", "train_loss_nats", "epochs_run", "train_seconds")
PREDICT_INPUT = "priming text; the model continues it (\\n = new line)"


def compare(config, argv: list[str]) -> int:
    """The whole lesson stateless, then stateful, each in its own process; their curves and losses side by side."""
    check_stateful_backend(dataclasses.replace(config, stateful=True), "compare (it trains statefully too)")
    parent = Run.start(LESSON, config, cell=f"{config.cell}-compare")
    flags = [a for a in cli.without_flag(argv, "--run-dir") if not is_stateful_flag(a)]
    results, histories = {}, {}
    for name in ("stateless", "stateful"):
        print(f"\n===== {name} training =====", flush=True)
        if not is_finished(parent.path / name):  # resuming a comparison keeps the run it has finished
            variant = ["--stateful"] if name == "stateful" else []
            command = [
                sys.executable,
                "-m",
                f"lessons.{LESSON}",
                *flags,
                *variant,
                "--run-dir",
                str(parent.path / name),
            ]
            status = subprocess.run(command, cwd=REPO_ROOT).returncode
            if status:
                return status  # the lesson has said why
        metrics = read_json(parent.path / name / "metrics.json", f"the {name} run's results", remedy="run it again")
        results[name] = {k: metrics[k] for k in COMPARED}
        histories[name] = metrics["history"]
    parent.save_figure(plot_compare(histories), "stateless_vs_stateful.png")
    table = [
        "| training | validation, state carried (nats) | bits | validation, fresh windows (nats) "
        "| train (nats) | epochs | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        table.append(
            f"| {name} | {r['val_loss_nats']:.3f} | {r['val_bpc']:.3f} | {r['val_loss_windows_nats']:.3f} "
            f"| {r['train_loss_nats']:.3f} | {r['epochs_run']} | {r['train_seconds']:.0f} |"
        )
    write_atomic(parent.file("compare.md"), "\n".join(table) + "\n")
    print("\n" + "\n".join(table))
    parent.write_metrics({f"{name}_{k}": v for name, r in results.items() for k, v in r.items()}, config)
    parent.finish()
    return 0


def is_stateful_flag(arg: str) -> bool:
    """``--stateful``, or an abbreviation of it that the lesson's parser accepts (``--stat``)."""
    return len(arg) > len("--s") and "--stateful".startswith(arg)


def plot_compare(histories):
    fig, ax = plots.plt.subplots(figsize=(7, 4))
    for name, color in (("stateless", "#1f77b4"), ("stateful", "#d62728")):
        h = histories[name]
        epochs = np.arange(1, len(h["val_loss"]) + 1)
        ax.plot(epochs, h["val_loss"], "o-", color=color, label=f"{name}: validation, state carried")
        ax.plot(
            epochs, h["val_loss_windows"], "s--", color=color, alpha=0.6, label=f"{name}: validation, fresh windows"
        )
    longest = max(len(h["val_loss"]) for h in histories.values())
    ax.set(
        xlabel="epoch",
        ylabel="loss (nats per character)",
        title="Stateless vs stateful training",
        xticks=np.arange(1, longest + 1),
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def predict_flags(parser):
    parser.add_argument(
        "--temperature",
        type=cli.non_negative_float,
        default=0.8,
        help="0 = greedy, below 1 safer, above 1 wilder (default 0.8)",
    )
    parser.add_argument("--top-k", type=cli.positive_int, default=None, help="sample only among the k likeliest")
    parser.add_argument("--length", type=SAMPLE_LENGTH, default=300, help="characters to generate (default 300)")
    parser.add_argument("--seed", type=cli.seed, default=0, help="sampling seed (default 0)")


def predict(args):
    if not args.inputs:
        raise CourseError('give one or more priming strings, e.g.: predict "ROMEO:" "To be"')
    primes = text_inputs(args.inputs, "a priming text", MAX_PRIME_CHARS)  # checked before the model loads
    model, spec, vocab = load_char_model(args.model or newest_model(LESSON))
    generator = Generator(stepper(model, spec, batch_size=1), vocab)
    for i, prime in enumerate(primes):
        prime = prime.replace("\\n", "\n")
        text = generator.generate(
            prime, args.length, temperature=args.temperature, top_k=args.top_k, seed=args.seed + i
        )
        print(f"{prime}{text}\n")
