"""Every full-size configuration `make bench` runs, by lesson: its flags, what to report, the target."""

# lesson05: one model, 19 minutes of training, every test sentence
LESSON05_FULL = [
    "--units", "256", "--embed-dim", "128", "--dropout", "0.2", "--lr", "0.003",
    "--epochs", "40", "--max-minutes", "19", "--test-sentences", "0",
]  # fmt: skip


def with_value(args: list[str], flag: str, value: str) -> list[str]:
    """``args`` with ``flag``'s value replaced, in place (so the command reads as the original's)."""
    at = args.index(flag) + 1
    return [*args[:at], value, *args[at + 1 :]]


# what every lesson04 NER entry with a CRF reports, and lesson07's 15-minute entries
NER_CRF_REPORT = [
    "test_entity_f1",
    "test_entity_precision",
    "test_entity_recall",
    "test_broken_entities",
    "baseline_entity_f1",
    "train_seconds",
]
LM_15MIN_REPORT = [
    "val_loss_nats",
    "val_bpc",
    "val_perplexity",
    "val_loss_windows_nats",
    "val_loss_fresh_256",
    "epochs_run",
    "chars_per_second",
]

# lesson08: every model's and baseline's errors at 1 h and 24 h, and the numbers the lesson is judged by
FORECAST_REPORT = [
    *(
        f"{model}_{error}"
        for model in ("rnn", "autoregressive", "linear", "climatology", "persistence", "same_hour_yesterday")
        for error in ("mae_1h", "rmse_1h", "mae_24h", "rmse_24h")
    ),
    "skill_1h_vs_persistence",
    "skill_24h_vs_persistence",
    "skill_24h_vs_best_baseline",
    "best_baseline_24h",
    "coverage_80",
    "coverage_80_1h",
    "published_rmse",
    "published_persistence_rmse",
    "epochs_run",
    "rnn_val_mae_24h",
]

BENCHMARKS = {
    "lesson02_gates": [
        {
            "name": "default",
            "args": [],
            "report": [
                "rnn_val_accuracy",
                "lstm_val_accuracy",
                "gru_val_accuracy",
                "baseline_val_accuracy",
                "wall_time_s",
            ],
            "target": "adding problem, length 60: rnn at the baseline; lstm, gru >= 0.9 accuracy; <= 240 s on 2 cores",
        },
    ],
    "lesson03_sentiment": [
        {
            "name": "default",
            "args": [],
            "report": ["test_accuracy", "baseline_test_accuracy", "seconds_per_epoch"],
            "target": "test_accuracy >= 0.87 in <= 300 s",
        },
        {
            "name": "best",
            "args": ["--bidirectional", "--pooling", "max", "--word-dropout", "0.2"],
            "report": ["test_accuracy", "baseline_test_accuracy", "seconds_per_epoch"],
            "target": "test_accuracy >= 0.89 in <= 600 s",
        },
        {
            "name": "wider-lr-decay",
            "args": (
                "--bidirectional --pooling max --word-dropout 0.3 --embedding-dim 128 --vocab-size 40000 "
                "--epochs 7 --lr-decay"
            ).split(),
            "report": ["test_accuracy", "baseline_test_accuracy", "seconds_per_epoch", "epochs_run"],
            "target": "test_accuracy >= 0.91 (NBSVM-bigrams 0.9122) in <= 900 s (#17): wider embedding, more words",
        },
        {
            "name": "best-lr-decay",
            "args": "--bidirectional --pooling max --word-dropout 0.4 --dropout 0.5 --epochs 5 --lr-decay".split(),
            "report": ["test_accuracy", "baseline_test_accuracy", "seconds_per_epoch", "epochs_run"],
            "target": "test_accuracy >= 0.91 in <= 900 s (issue #17): best with more word dropout and a decaying step",
        },
        {
            "name": "rnn",
            "args": ["--cell", "rnn"],
            "report": ["test_accuracy", "seconds_per_epoch"],
            "target": "test_accuracy >= 0.80",
        },
        {
            "name": "rnn-max",
            "args": ["--cell", "rnn", "--pooling", "max"],
            "report": ["test_accuracy", "seconds_per_epoch"],
            "target": "a SimpleRNN that need not carry the review to its last step",
        },
        {
            "name": "no-mask",
            "args": ["--no-mask", "--no-bucketing", "--sequence-length", "300"],
            "report": ["test_accuracy"],
            "target": "shows what unmasked padding costs",
        },
        {
            "name": "compare",
            "args": ["compare"],
            "report": [
                "rnn_test_accuracy",
                "lstm_test_accuracy",
                "gru_test_accuracy",
                "rnn_seconds_per_epoch",
                "lstm_seconds_per_epoch",
                "gru_seconds_per_epoch",
            ],
            "target": "measured, no target: rnn, lstm and gru with the default settings and budget",
        },
    ],
    "lesson04_tagging": [
        {
            "name": "pos-default",
            "args": [],
            "report": ["test_accuracy", "test_accuracy_unseen", "baseline_accuracy", "train_seconds"],
            "target": "make lesson04 (defaults) <= 300 s",
        },
        {
            "name": "pos",
            "args": ["--layers", "2", "--epochs", "8"],
            "report": ["test_accuracy", "test_accuracy_unseen", "baseline_accuracy", "train_seconds"],
            "target": "UD EWT UPOS test accuracy >= 0.95 from scratch, <= 600 s",
        },
        {
            "name": "ner",
            "args": ["--task", "ner", "--layers", "2", "--epochs", "8"],
            "report": [
                "test_entity_f1",
                "test_entity_precision",
                "test_entity_recall",
                "baseline_entity_f1",
                "train_seconds",
            ],
            "target": "CoNLL-2003 testb entity F1 >= 0.80 from scratch, <= 900 s",
        },
        {
            "name": "ner-crf",
            "args": ["--task", "ner", "--layers", "2", "--epochs", "8", "--output", "crf"],
            "report": NER_CRF_REPORT,
            "target": "CoNLL-2003 testb entity F1 >= 0.85 from scratch, <= 900 s (issue #17)",
        },
        {
            "name": "ner-crf-iobes",
            "args": ["--task", "ner", "--layers", "2", "--epochs", "8", "--output", "crf", "--tags", "iobes"],
            "report": NER_CRF_REPORT,
            "target": "ner-crf trained on IOBES tags (scored as IOB2): does the richer scheme help? (issue #17)",
        },
        {
            "name": "ner-crf-iobes-wide",
            "args": "--task ner --layers 2 --hidden 200 --dropout 0.5 --epochs 10 --output crf --tags iobes".split(),
            "report": NER_CRF_REPORT,
            "target": "CoNLL-2003 testb entity F1 >= 0.85 from scratch, <= 900 s (issue #17): ner-crf-iobes, wider",
        },
        {
            "name": "ner-crf-iobes-wide-12",
            "args": "--task ner --layers 2 --hidden 200 --dropout 0.5 --epochs 12 --output crf --tags iobes".split(),
            "report": NER_CRF_REPORT,
            "target": "CoNLL-2003 testb entity F1 >= 0.85 from scratch, <= 900 s (issue #17): iobes-wide, 12 epochs",
        },
        {
            "name": "ner-crf-iobes-wide-12-char128",
            "args": (
                "--task ner --layers 2 --hidden 200 --dropout 0.5 --epochs 12 --output crf --tags iobes "
                "--char-filters 128"
            ).split(),
            "report": NER_CRF_REPORT,
            "target": "CoNLL-2003 testb entity F1 >= 0.85 from scratch, <= 900 s (issue #17): iobes-wide-12, "
            "twice the character filters",
        },
        {
            "name": "ner-crf-iobes-wide-14",
            "args": "--task ner --layers 2 --hidden 200 --dropout 0.5 --epochs 14 --output crf --tags iobes".split(),
            "report": NER_CRF_REPORT,
            "target": "CoNLL-2003 testb entity F1 >= 0.85 from scratch, <= 900 s (issue #17): iobes-wide, 14 epochs "
            "(about 50 s an epoch alone on the machine)",
        },
        {
            "name": "ner-crf-16",
            "args": ["--task", "ner", "--layers", "2", "--epochs", "16", "--output", "crf"],
            "report": NER_CRF_REPORT,
            "target": "CoNLL-2003 testb entity F1 >= 0.85 from scratch, <= 900 s (issue #17)",
        },
    ],
    "lesson05_translation": [
        {
            "name": "default",
            "args": [],
            "report": ["bleu_attention_beam", "bleu_attention_greedy", "bleu_plain_beam", "bleu_plain_greedy"],
            "target": "make lesson05 <= 480 s with a printed BLEU; attention > plain; beam >= greedy",
        },
        {
            "name": "full-attention",
            "args": ["--models", "attention", *LESSON05_FULL],
            "report": ["bleu_attention_beam", "bleu_attention_greedy", "epochs_attention", "train_seconds_attention"],
            "target": "bleu_attention_beam >= 35 (trained in <= 20 min), > plain, beam >= greedy",
        },
        {
            "name": "full-attention-dropout-0.3",
            "args": ["--models", "attention", *with_value(LESSON05_FULL, "--dropout", "0.3")],
            "report": ["bleu_attention_beam", "bleu_attention_greedy", "epochs_attention", "train_seconds_attention"],
            "target": "bleu_attention_beam >= 40 in <= 20 min (issue #17): full-attention (best epoch 8 of 9 on 2 "
            "AMD cores), more dropout",
        },
        {
            "name": "full-attention-bi",
            "args": ["--models", "attention", "--bidirectional", *LESSON05_FULL],
            "report": ["bleu_attention_beam", "bleu_attention_greedy", "epochs_attention", "train_seconds_attention"],
            "target": "bleu_attention_beam >= 40 in <= 20 min (issue #17): full-attention, bidirectional encoder",
        },
        {
            "name": "max10-attention",
            "args": ["--models", "attention", "--max-words", "10", *LESSON05_FULL],
            "report": [
                "bleu_attention_beam",
                "bleu_attention_greedy",
                "epochs_attention",
                "bleu_attention_beam_by_length",
            ],
            "target": "sentences of up to 10 words, same budget as max10-plain: attention's lead grows with length",
        },
        {
            "name": "max10-plain",
            "args": ["--models", "plain", "--max-words", "10", *LESSON05_FULL],
            "report": ["bleu_plain_beam", "bleu_plain_greedy", "epochs_plain", "bleu_plain_beam_by_length"],
            "target": "the same budget without attention",
        },
        {
            "name": "full-plain",
            "args": ["--models", "plain", *LESSON05_FULL],
            "report": ["bleu_plain_beam", "bleu_plain_greedy", "epochs_plain", "train_seconds_plain"],
            "target": "the same budget without attention: clearly below full-attention",
        },
    ],
    "lesson06_captioning": [
        {
            "name": "default",
            "args": [],
            "report": ["bleu4", "bleu1", "baseline_bleu4", "baseline_bleu1", "train_seconds"],
            "target": "make lesson06 <= 600 s on 2 CPU cores (1,000-image subset); bleu4 > baseline_bleu4",
        },
        {
            "name": "pretrained-subset",
            "args": ["--encoder", "pretrained"],
            "report": ["bleu4", "bleu1", "baseline_bleu4", "baseline_bleu1", "train_seconds"],
            "target": "the default run with ImageNet features (EfficientNet-Lite0 where Keras cannot download B0's)",
        },
        {
            "name": "pretrained-full",
            "args": ["--encoder", "pretrained", "--attention", "--epochs", "20", "--max-minutes", "0"],
            "report": ["bleu4", "bleu1", "baseline_bleu4"],
            "target": "bleu4 >= 0.20 with all 8,091 images and ImageNet weights (a user's machine)",
        },
    ],
    "lesson07_char_lm": [
        {
            "name": "default",
            "args": [],
            "report": [
                "val_loss_nats",
                "val_bpc",
                "val_perplexity",
                "val_loss_fresh_256",
                "epochs_run",
                "chars_per_second",
            ],
            "target": "readable samples, <= 300 s",
        },
        {
            "name": "gru512-stateful-15min",
            # --epochs sized to the budget (about 87 s each on 2 cores), so the cosine schedule decays fully
            "args": ["--units", "512", "--dropout", "0.25", "--stateful", "--epochs", "9", "--max-minutes", "14"],
            "report": LM_15MIN_REPORT,
            "target": "val_loss_nats <= 1.45 (issue #17), <= 900 s; val_loss_fresh_256 is nanoGPT's protocol",
        },
        {
            "name": "gru2x256-stateful-15min",
            "args": ["--layers", "2", "--units", "256", "--dropout", "0.2", "--stateful", "--epochs", "12"]
            + ["--max-minutes", "14"],
            "report": LM_15MIN_REPORT,
            "target": "val_loss_nats <= 1.45 (issue #17), <= 900 s: two thinner layers instead of one wide one",
        },
        {
            "name": "gru2x256-stateful-14ep",
            "args": ["--layers", "2", "--units", "256", "--dropout", "0.25", "--stateful", "--epochs", "14"]
            + ["--max-minutes", "14"],
            "report": LM_15MIN_REPORT,
            "target": "val_loss_nats <= 1.45 (issue #17), <= 900 s: gru2x256, 14 epochs (about 55 s each alone on the "
            "machine), a little more dropout for the longer run",
        },
        {
            "name": "compare-stateless-stateful",
            "args": ["compare", "--epochs", "3", "--max-minutes", "0"],
            "report": [
                "stateless_val_loss_nats",
                "stateful_val_loss_nats",
                "stateless_val_loss_windows_nats",
                "stateful_val_loss_windows_nats",
            ],
            "target": "measured, no target: same seed, same number of updates",
        },
    ],
    "lesson08_forecasting": [
        {
            "name": "default",
            "args": [],
            "report": FORECAST_REPORT,
            "target": "skill_24h_vs_persistence > 0, coverage_80 within 0.75-0.85, <= 300 s on 2 cores",
        },
        *(
            {
                "name": name,
                "args": args,
                "report": FORECAST_REPORT,
                "target": "skill_24h_vs_best_baseline >= 0.10 (issue #24) in <= 900 s on 2 cores",
            }
            for name, args in (
                ("lstm", ["--cell", "lstm"]),
                ("rnn", ["--cell", "rnn"]),
                ("window-96", ["--window", "96"]),
            )
        ),
    ],
}


# lesson09: each model's results at one budget, and the scan timings (issue #26)
LESSON09_MODELS = ("gru", "transformer", "mingru")
RECURRENCE_REPORT = [
    "val_loss_fresh_256",
    "params",
    "train_chars_per_second",
    "generate_ms_per_char_256",
    "generate_ms_per_char_2048",
    "train_steps",
    "train_seconds",
]
SCAN_LENGTHS = (64, 256, 1024, 4096)
SCAN_REPORT = [
    f"scan_{backend}_{kind}_ms_{length}"
    for backend in ("tensorflow", "jax")
    for length in SCAN_LENGTHS
    for kind in ("sequential", "parallel")
]
BENCHMARKS["lesson09_recurrence"] = [
    {
        "name": "default",
        "args": [],
        "report": [f"{model}_{key}" for model in LESSON09_MODELS for key in RECURRENCE_REPORT] + SCAN_REPORT,
        "target": "the three models and the timings in <= 10 min on 2 cores",
    },
    *(
        {
            "name": f"{model}-13min",
            "args": ["--models", model, "--minutes", "13", *([] if model == "mingru" else ["--skip-timings"])],
            "report": RECURRENCE_REPORT + (SCAN_REPORT if model == "mingru" else []),
            "target": target,
        }
        for model, target in (
            ("gru", "lesson 07's best GRU (2 x 256) on nanoGPT's windows: the budget's reference, about 14 minutes"),
            ("transformer", "measured, no target: its generation time grows with the context"),
            ("mingru", "val_loss_fresh_256 within 0.05 nats of the GRU's at the same budget (issue #26)"),
        )
    ),
]


def backend_entries(report: list[str]) -> list[dict]:
    """The lesson's --quick run on each Keras backend, for its epoch times (issue #16): the first epoch
    includes building (on JAX, compiling) the training step; the later ones show the backend's speed."""
    return [
        {
            "name": f"quick-{backend}",
            "args": ["--quick"],
            "env": {"KERAS_BACKEND": backend},
            "report": [*report, "first_epoch_seconds", "later_epoch_seconds"],
            "target": "measured, no target: the same quick run on tensorflow, jax and torch",
        }
        for backend in ("tensorflow", "jax", "torch")
    ]


BENCHMARKS["lesson03_sentiment"] += backend_entries(["test_accuracy"])
BENCHMARKS["lesson04_tagging"] += backend_entries(["test_accuracy"])
BENCHMARKS["lesson07_char_lm"] += backend_entries(["val_loss_nats"])


# README.md's results tables, each written between <!-- bench:NAME --> and <!-- /bench:NAME --> by `make bench`
# and `make bench-readme` from bench/results.json. A row is one bench entry of the table's lesson: "metrics" fill
# the columns in order (formatted with the column's format spec; None: an empty cell), "{command}" in a label
# becomes the make command the entry runs, "wall" replaces the measured wall time with a text. Keep the names in
# step with BENCHMARKS (tests/test_bench.py checks them).
README_TABLES = {
    "lesson03": {
        "lesson": "lesson03_sentiment",
        "label": "command",
        "columns": [("test accuracy", ".3f")],
        "rows": [
            {"entry": "default", "label": "`{command}` (GRU, last state, 3 epochs)", "metrics": ["test_accuracy"]},
            {"entry": "best", "label": "`{command}`", "metrics": ["test_accuracy"]},
            {"entry": "wider-lr-decay", "label": "`{command}`", "metrics": ["test_accuracy"]},
            {"entry": "best-lr-decay", "label": "`{command}`", "metrics": ["test_accuracy"]},
            {"entry": "rnn", "label": "`{command}` (SimpleRNN, last state)", "metrics": ["test_accuracy"]},
            {"entry": "rnn-max", "label": "`{command}`", "metrics": ["test_accuracy"]},
            {"entry": "no-mask", "label": "`{command}` (chance is 0.5)", "metrics": ["test_accuracy"]},
            {
                "entry": "default",
                "label": "bag-of-bigrams logistic regression, same split",
                "metrics": ["baseline_test_accuracy"],
                "wall": "(in every run)",
            },
        ],
    },
    "lesson04-pos": {
        "lesson": "lesson04_tagging",
        "label": "command (part of speech, UD EWT)",
        "columns": [("test accuracy", ".3f"), ("on unseen words", ".3f"), ("most-frequent-tag baseline", ".3f")],
        "rows": [
            {
                "entry": entry,
                "label": "`{command}`",
                "metrics": ["test_accuracy", "test_accuracy_unseen", "baseline_accuracy"],
            }
            for entry in ("pos-default", "pos")
        ],
    },
    "lesson04-ner": {
        "lesson": "lesson04_tagging",
        "label": "command (named entities, CoNLL-2003)",
        "columns": [("testb entity F1", ".3f"), ("broken entities", ".0f"), ("baseline F1", ".3f")],
        "rows": [
            # the softmax entry does not report its broken entities (yet): None leaves the cell empty
            {
                "entry": "ner",
                "label": "`{command}` (softmax)",
                "metrics": ["test_entity_f1", None, "baseline_entity_f1"],
            },
            *(
                {
                    "entry": entry,
                    "label": "`{command}`",
                    "metrics": ["test_entity_f1", "test_broken_entities", "baseline_entity_f1"],
                }
                for entry in (
                    "ner-crf",
                    "ner-crf-16",
                    "ner-crf-iobes",
                    "ner-crf-iobes-wide",
                    "ner-crf-iobes-wide-12",
                    "ner-crf-iobes-wide-12-char128",
                    "ner-crf-iobes-wide-14",
                )
            ),
        ],
    },
    "lesson05": {
        "lesson": "lesson05_translation",
        "label": "model",
        "columns": [("epochs in 19 min", ".0f"), ("greedy BLEU", ".1f"), ("beam 4 BLEU", ".1f")],
        "rows": [
            {
                "entry": "full-plain",
                "label": "plain encoder-decoder",
                "metrics": ["epochs_plain", "bleu_plain_greedy", "bleu_plain_beam"],
            },
            {
                "entry": "full-attention-bi",
                "label": "with attention, bidirectional encoder",
                "metrics": ["epochs_attention", "bleu_attention_greedy", "bleu_attention_beam"],
            },
            {
                "entry": "full-attention",
                "label": "with attention",
                "metrics": ["epochs_attention", "bleu_attention_greedy", "bleu_attention_beam"],
            },
            {
                "entry": "full-attention-dropout-0.3",
                "label": "with attention, dropout 0.3 instead of 0.2",
                "metrics": ["epochs_attention", "bleu_attention_greedy", "bleu_attention_beam"],
            },
        ],
    },
    "lesson05-max10": {
        "lesson": "lesson05_translation",
        "label": "model (`--max-words 10`, same 19 minutes)",
        "columns": [
            ("epochs", ".0f"),
            ("greedy BLEU", ".1f"),
            ("beam 4 BLEU", ".1f"),
            *((f"beam, {n} words" if n > 3 else "beam, <= 3 words", ".1f") for n in range(3, 11)),
        ],
        "rows": [
            {
                "entry": f"max10-{kind}",
                "label": label,
                "metrics": [
                    f"epochs_{kind}",
                    f"bleu_{kind}_greedy",
                    f"bleu_{kind}_beam",
                    *(f"bleu_{kind}_beam_by_length.{n}" for n in range(3, 11)),
                ],
            }
            for kind, label in (("plain", "plain encoder-decoder"), ("attention", "with attention"))
        ],
    },
    "lesson07": {
        "lesson": "lesson07_char_lm",
        "label": "command",
        "columns": [
            ("val loss (nats/char)", ".3f"),
            ("bits/char", ".2f"),
            ("perplexity", ".2f"),
            ("nanoGPT's protocol (nats/char)", ".3f"),
            ("epochs", ".0f"),
        ],
        "rows": [
            {
                "entry": entry,
                "label": "`{command}`",
                "metrics": ["val_loss_nats", "val_bpc", "val_perplexity", "val_loss_fresh_256", "epochs_run"],
            }
            for entry in ("default", "gru512-stateful-15min", "gru2x256-stateful-15min", "gru2x256-stateful-14ep")
        ],
    },
    "lesson08": {
        "lesson": "lesson08_forecasting",
        "label": "forecast (test year 2014)",
        "columns": [
            ("MAE 1 h", ".1f"),
            ("RMSE 1 h", ".1f"),
            ("MAE 24 h", ".1f"),
            ("RMSE 24 h", ".1f"),
            ("skill 24 h vs best baseline", "+.3f"),
            ("80% interval coverage, 24 h", ".3f"),
        ],
        "rows": [
            *(
                {
                    "entry": entry,
                    "label": label,
                    "metrics": [
                        "rnn_mae_1h",
                        "rnn_rmse_1h",
                        "rnn_mae_24h",
                        "rnn_rmse_24h",
                        "skill_24h_vs_best_baseline",
                        "coverage_80",
                    ],
                }
                for entry, label in (
                    ("default", "`{command}` (GRU, all 24 hours at once)"),
                    ("lstm", "`{command}`"),
                    ("rnn", "`{command}`"),
                    ("window-96", "`{command}`"),
                )
            ),
            *(
                {
                    "entry": "default",
                    "label": label,
                    "metrics": [f"{key}_mae_1h", f"{key}_rmse_1h", f"{key}_mae_24h", f"{key}_rmse_24h", None, None],
                    "wall": "(in every run)",
                }
                for key, label in (
                    ("autoregressive", "GRU, one hour at a time, fed back (same run)"),
                    ("linear", "linear model on the window"),
                    ("climatology", "climatology (median by month and hour, training years)"),
                    ("same_hour_yesterday", "same hour yesterday"),
                    ("persistence", "persistence (the last reading)"),
                )
            ),
        ],
    },
    "lesson09": {
        "lesson": "lesson09_recurrence",
        "label": "model, a 13-minute budget each (nanoGPT's protocol)",
        "columns": [
            ("val loss (nats/char)", ".3f"),
            ("parameters", ",.0f"),
            ("training steps", ",.0f"),
            ("training seconds", ",.0f"),
            ("training chars/s", ",.0f"),
            ("ms/char at context 256", ".2f"),
            ("ms/char at context 2,048", ".2f"),
        ],
        "rows": [
            *(
                {
                    "entry": f"{model}-13min",
                    "label": f"{label}: `{{command}}`",
                    "metrics": [
                        "val_loss_fresh_256",
                        "params",
                        "train_steps",
                        "train_seconds",
                        "train_chars_per_second",
                        "generate_ms_per_char_256",
                        "generate_ms_per_char_2048",
                    ],
                }
                for model, label in (
                    ("gru", "GRU, 2 x 256"),
                    ("transformer", "causal Transformer, 4 blocks of 128"),
                    ("mingru", "minGRU, 4 blocks of 128"),
                )
            ),
        ],
    },
    "lesson09-scan": {
        "lesson": "lesson09_recurrence",
        "label": "the minGRU's recurrence, batch 32, 256 units (best of 5)",
        "columns": [(f"T = {length:,}", ".1f") for length in SCAN_LENGTHS],
        "rows": [
            {
                "entry": "mingru-13min",
                "label": f"{backend}, {what} (ms)",
                "metrics": [f"scan_{backend}_{kind}_ms_{length}" for length in SCAN_LENGTHS],
                "wall": "(in the minGRU's run)",
            }
            for backend in ("tensorflow", "jax")
            for kind, what in (
                ("sequential", "loop: keras.ops.scan"),
                ("parallel", "parallel: keras.ops.associative_scan"),
            )
        ],
    },
    "lesson03-compare": {
        "lesson": "lesson03_sentiment",
        "label": "command",
        "columns": [
            ("rnn", ".3f"),
            ("lstm", ".3f"),
            ("gru", ".3f"),
            ("s/epoch rnn", ".0f"),
            ("s/epoch lstm", ".0f"),
            ("s/epoch gru", ".0f"),
        ],
        "rows": [
            {
                "entry": "compare",
                "label": "`make compare03` (test accuracy, 3 epochs each)",
                "metrics": [
                    "rnn_test_accuracy",
                    "lstm_test_accuracy",
                    "gru_test_accuracy",
                    "rnn_seconds_per_epoch",
                    "lstm_seconds_per_epoch",
                    "gru_seconds_per_epoch",
                ],
            }
        ],
    },
    "backends": {
        "lesson": "lesson03_sentiment",
        "label": "command (`--quick`)",
        "columns": [("result", ".3f"), ("first epoch (s)", ".1f"), ("later epochs (s)", ".1f")],
        "rows": [
            {
                "lesson": lesson,
                "entry": f"quick-{backend}",
                "label": f"`{{command}}` ({metric.replace('_', ' ')})",
                "metrics": [metric, "first_epoch_seconds", "later_epoch_seconds"],
            }
            for lesson, metric in (
                ("lesson03_sentiment", "test_accuracy"),
                ("lesson04_tagging", "test_accuracy"),
                ("lesson07_char_lm", "val_loss_nats"),
            )
            for backend in ("tensorflow", "jax", "torch")
        ],
    },
    "lesson06": {
        "lesson": "lesson06_captioning",
        "label": "command (1,000-image subset)",
        "columns": [("BLEU-1", ".3f"), ("BLEU-4", ".3f"), ("baseline BLEU-1", ".3f"), ("training (s)", ".0f")],
        "rows": [
            {
                "entry": entry,
                "label": label,
                "metrics": ["bleu1", "bleu4", "baseline_bleu1", "train_seconds"],
            }
            for entry, label in (
                ("default", "`{command}` (CNN trained from scratch)"),
                ("pretrained-subset", "`{command}` (ImageNet features)"),
            )
        ],
    },
}
