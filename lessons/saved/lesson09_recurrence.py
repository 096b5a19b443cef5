"""The definitions of lessons/lesson09_recurrence.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
import argparse
import json
import math
import time
from dataclasses import dataclass
import keras
import numpy as np
from course_utils import CourseError, cli, plots, timing
from course_utils.atomic import write_atomic
from course_utils.lesson import LessonConfig, flag
from lessons.saved.lesson07_char_lm import NANOGPT_CONTEXT, Generator, ModelSpec, build_model, encode, stepper


LESSON = "lesson09_recurrence"


SETTINGS_FILE = "models.json"  # the vocabulary and the sizes, beside the saved models


MODELS = ("gru", "transformer", "mingru")


SCANS = ("auto", "sequential", "parallel", "log")


def model_names(text: str) -> str:
    """``--models gru,mingru``: one or more of MODELS, comma-separated, each once (returned without spaces)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names or any(name not in MODELS for name in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"give one or more of {', '.join(MODELS)}, separated by commas, each once")
    return ",".join(names)


@dataclass
class Config(LessonConfig):
    models: str = flag(",".join(MODELS), "models to train, comma-separated", type=model_names, metavar="NAMES")
    minutes: float = flag(2.0, "training minutes per model (the same budget for each)", type=cli.positive_float)
    steps: int = flag(0, "train this many steps instead of filling --minutes; 0: fill them", type=cli.non_negative_int)
    context: int = flag(NANOGPT_CONTEXT, "characters per training window", type=cli.sequence_length)
    batch_size: int = flag(64, "windows per batch", type=cli.batch_size)
    width: int = flag(128, "the Transformer's and the minGRU's model width", type=cli.layer_size)
    layers: int = flag(4, "the Transformer's and the minGRU's blocks", type=cli.layer_count)
    dropout: float = flag(0.2, "dropout in every model", type=cli.fraction)
    scan: str = flag("auto", "how the minGRU computes its recurrence in training", choices=SCANS)
    skip_timings: bool = flag(False, "skip the scan and training-step timings (about two minutes)")
    sample_length: int = flag(300, "characters per sample", type=cli.int_between(1, 5_000))

    QUICK = {"steps": 20, "context": 64, "width": 64, "layers": 2, "sample_length": 100}


class WindowRounds(keras.utils.PyDataset):
    """(inputs, targets) batches of windows at random places in ``ids``, ``steps`` batches a round."""

    def __init__(self, ids: np.ndarray, context: int, batch_size: int, steps: int, seed: int):
        super().__init__()
        self.ids, self.context, self.batch_size, self.steps, self.seed = ids, context, batch_size, steps, seed
        self.round = 0

    def __len__(self):
        return self.steps

    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, self.round, i])
        starts = rng.integers(0, len(self.ids) - self.context, self.batch_size)
        windows = np.stack([self.ids[s : s + self.context + 1] for s in starts]).astype("int32")
        return windows[:, :-1], windows[:, 1:]  # the targets: the same text, one character on

    def on_epoch_end(self):
        self.round += 1


def gru_spec(vocab_size: int, dropout: float) -> ModelSpec:
    return ModelSpec(vocab_size, "gru", units=256, layers=2, embed_dim=64, dropout=dropout)


def build_gru(vocab_size: int, dropout: float) -> keras.Model:
    return build_model(gru_spec(vocab_size, dropout))


@keras.saving.register_keras_serializable(package="lesson09")
class SinePositions(keras.layers.Layer):
    """Adds sin/cos position codes to (batch, time, width) embeddings; no weights, any length."""

    def call(self, x):
        length, width = keras.ops.shape(x)[1], x.shape[-1]
        position = keras.ops.cast(keras.ops.arange(length), "float32")[:, None]
        rate = keras.ops.exp(-math.log(10_000.0) * keras.ops.arange(0, width, 2, dtype="float32") / width)
        angle = position * rate[None, :]
        code = keras.ops.reshape(keras.ops.stack([keras.ops.sin(angle), keras.ops.cos(angle)], axis=-1), (length, -1))
        return x + keras.ops.cast(code[None, :, :width], x.dtype)


def feed_forward(x, width: int, dropout: float, name: str):
    h = keras.layers.LayerNormalization(name=f"{name}_norm2")(x)
    h = keras.layers.Dense(4 * width, activation="relu", name=f"{name}_mlp_in")(h)
    h = keras.layers.Dense(width, name=f"{name}_mlp_out")(h)
    return x + keras.layers.Dropout(dropout, name=f"{name}_drop2")(h)


def attention_block(x, width: int, heads: int, dropout: float, name: str):
    h = keras.layers.LayerNormalization(name=f"{name}_norm1")(x)
    attend = keras.layers.MultiHeadAttention(heads, width // heads, name=f"{name}_attention")
    h = attend(h, h, use_causal_mask=True)
    x = x + keras.layers.Dropout(dropout, name=f"{name}_drop1")(h)
    return feed_forward(x, width, dropout, name)


def build_transformer(vocab_size: int, width: int, layers: int, dropout: float, heads: int = 4) -> keras.Model:
    chars = keras.Input((None,), dtype="int32", name="chars")
    # characters embedded at the size of the position codes (Keras' default, uniform in ±0.05, would drown in them)
    unit_scale = keras.initializers.RandomNormal(stddev=1.0)
    embed = keras.layers.Embedding(vocab_size, width, embeddings_initializer=unit_scale, name="embedding")
    x = SinePositions(name="positions")(embed(chars))
    x = keras.layers.Dropout(dropout, name="embedding_drop")(x)
    for i in range(1, layers + 1):
        x = attention_block(x, width, heads, dropout, name=f"block_{i}")
    x = keras.layers.LayerNormalization(name="final_norm")(x)
    return keras.Model(chars, keras.layers.Dense(vocab_size, name="next_char_logits")(x), name="char_transformer")


def g(x):
    """minGRU's candidate activation: x + 1/2 for x >= 0, sigmoid(x) below; continuous and always positive."""
    return keras.ops.where(x >= 0, x + 0.5, keras.ops.sigmoid(x))


def log_g(x):
    """log(g(x)), computed without forming g(x): log(x + 1/2) above zero, -softplus(-x) below."""
    return keras.ops.where(x >= 0, keras.ops.log(keras.ops.relu(x) + 0.5), -keras.ops.softplus(-x))


def min_gru_step(x_t, h_prev, w_z, b_z, w_h, b_h):
    """One minGRU step for a batch: x_t (batch, inputs), h_prev (batch, units) -> h_t (batch, units)."""
    z = keras.ops.sigmoid(keras.ops.matmul(x_t, w_z) + b_z)  # the gate reads x_t only
    candidate = g(keras.ops.matmul(x_t, w_h) + b_h)
    return (1 - z) * h_prev + z * candidate


def linear_recurrence_loop(a, b, h0):
    """h_t = a_t * h_{t-1} + b_t for t = 1..T, one step at a time. a, b: (batch, T, units); h0: (batch, units)."""

    def step(h, ab_t):
        h = ab_t[..., 0] * h + ab_t[..., 1]
        return h, h

    # a and b as one (T, batch, units, 2) tensor: Keras 3.15's TensorFlow scan fails on two when T is unknown
    time_major = keras.ops.moveaxis(keras.ops.stack([a, b], axis=-1), 1, 0)
    _, states = keras.ops.scan(step, h0, time_major)
    return keras.ops.moveaxis(states, 0, 1)


def combine(first, second):
    """The step (a1, b1) followed by (a2, b2), as one step: h -> a2 (a1 h + b1) + b2."""
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * b1 + b2


def linear_recurrence_parallel(a, b, h0):
    """The same h_t from a parallel prefix scan of ``combine``: every (A_t, B_t) at once, then A_t h0 + B_t."""
    a_prefix, b_prefix = keras.ops.associative_scan(combine, (a, b), axis=1)
    return a_prefix * h0[:, None, :] + b_prefix


def log_add(x, y):
    """log(exp(x) + exp(y)) without overflow: the larger plus log(1 + exp(-|x - y|)), whatever the dtype."""
    return keras.ops.maximum(x, y) + keras.ops.log1p(keras.ops.exp(-keras.ops.abs(x - y)))


def linear_recurrence_log(log_a, log_b, log_h0=None):
    """The same h_t from logarithms (b and h0 positive): log A_t = cumsum(log a), then a cumulative logsumexp
    of log b_k - log A_k (and log h0 first); h_t = exp(log A_t + that). ``log_h0=None``: h0 = 0."""
    log_a_prefix = keras.ops.cumsum(log_a, axis=1)
    terms = log_b - log_a_prefix
    if log_h0 is not None:
        terms = keras.ops.concatenate([log_h0[:, None, :], terms], axis=1)
    running = keras.ops.associative_scan(log_add, terms, axis=1)
    return keras.ops.exp(log_a_prefix + (running if log_h0 is None else running[:, 1:]))


def recurrence_inputs(x, w_z, b_z, w_h, b_h):
    """The minGRU's a_t = 1 - z_t and b_t = z_t * g(W_h x_t + b_h) for a whole window, and their logs."""
    k = keras.ops.matmul(x, w_z) + b_z
    pre = keras.ops.matmul(x, w_h) + b_h
    z = keras.ops.sigmoid(k)
    log_a, log_b = -keras.ops.softplus(k), -keras.ops.softplus(-k) + log_g(pre)  # log(1 - z), log(z g(pre))
    return 1 - z, z * g(pre), log_a, log_b


def largest_gap(x, y) -> float:
    return float(np.max(np.abs(keras.ops.convert_to_numpy(x) - keras.ops.convert_to_numpy(y))))


def markdown_table(header: list, rows: list) -> str:
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows])


@keras.saving.register_keras_serializable(package="lesson09")
class MinGRU(keras.layers.Layer):
    """A minGRU layer: (batch, time, inputs) -> (batch, time, units), from ``initial_state`` (zeros by default)."""

    def __init__(self, units: int, scan: str = "sequential", **kwargs):
        super().__init__(**kwargs)
        self.units, self.scan = units, scan
        self.gates = keras.layers.Dense(2 * units, name="gates")  # W_z and W_h side by side

    def build(self, input_shape):
        self.gates.build(input_shape)

    def call(self, x, initial_state=None):
        k, pre = keras.ops.split(self.gates(x), 2, axis=-1)
        if self.scan == "log":
            log_h0 = None if initial_state is None else keras.ops.log(initial_state)
            return linear_recurrence_log(-keras.ops.softplus(k), -keras.ops.softplus(-k) + log_g(pre), log_h0)
        z = keras.ops.sigmoid(k)
        h0 = keras.ops.zeros_like(k[:, 0]) if initial_state is None else initial_state
        recurrence = linear_recurrence_parallel if self.scan == "parallel" else linear_recurrence_loop
        return recurrence(1 - z, z * g(pre), h0)

    def compute_output_shape(self, x_shape, initial_state_shape=None):
        return (*x_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "scan": self.scan}


def build_mingru(vocab_size, width, layers, dropout, scan="sequential", *, with_states=False, batch_size=None):
    """minGRU blocks between an embedding and the scores; ``with_states``: the state-passing twin's inputs/outputs."""
    chars = keras.Input(batch_shape=(batch_size, None), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, width, name="embedding")(chars)
    x = keras.layers.Dropout(dropout, name="embedding_drop")(x)
    states_in, states_out = [], []
    for i in range(1, layers + 1):
        h = keras.layers.LayerNormalization(name=f"block_{i}_norm1")(x)
        initial = keras.Input(batch_shape=(batch_size, width), name=f"state_{i}") if with_states else None
        h = MinGRU(width, scan, name=f"block_{i}_mingru")(h, initial_state=initial)
        if with_states:
            states_in.append(initial)
            states_out.append(h[:, -1])
        x = x + keras.layers.Dropout(dropout, name=f"block_{i}_drop1")(h)
        x = feed_forward(x, width, dropout, name=f"block_{i}")
    logits = keras.layers.Dense(vocab_size, name="next_char_logits")(
        keras.layers.LayerNormalization(name="final_norm")(x)
    )
    return keras.Model([chars, *states_in] if with_states else chars, [logits, *states_out] if with_states else logits)


def mingru_stepper(model: keras.Model, vocab_size, width, layers, batch_size: int = 1) -> keras.Model:
    """A state-passing twin of a minGRU model, with its weights (the loop form: it reads a few characters at a time)."""
    twin = build_mingru(vocab_size, width, layers, 0.0, with_states=True, batch_size=batch_size)
    twin.set_weights(model.get_weights())
    return twin


SCAN_LENGTHS = (64, 256, 1024, 4096)


def scan_markdown(rows) -> str:
    header = ["backend", "device", "T", "loop (ms)", "parallel scan (ms)", "parallel / loop"]
    cells = [
        [r["backend"], r["device"], f"{r['length']:,}", f"{r['sequential_ms']:.1f}", f"{r['parallel_ms']:.1f}",
         f"{r['parallel_ms'] / r['sequential_ms']:.1f}x"] for r in rows
    ]  # fmt: skip
    return markdown_table(header, cells)


def scan_verdict(rows) -> str:
    """Where, on this machine, the parallel scan beat the loop."""
    lines = []
    for backend in dict.fromkeys(r["backend"] for r in rows):
        faster = [f"{r['length']:,}" for r in rows if r["backend"] == backend and r["parallel_ms"] < r["sequential_ms"]]
        lines.append(f"{backend}: the parallel scan was faster at T = {', '.join(faster)}" if faster else
                     f"{backend}: the loop was faster at every length")  # fmt: skip
    return "\n".join(lines)


LEARNING_RATES = {"gru": 3e-3, "transformer": 1e-3, "mingru": 3e-3}  # Adam's peak step for each model


def training_scan(scan: str) -> str:
    """``--scan auto``: the parallel scan where it pays (a GPU), the loop on a CPU."""
    return scan if scan != "auto" else "parallel" if timing.device_name() != "CPU" else "sequential"


def build(name: str, config, vocab_size: int) -> keras.Model:
    if name == "gru":
        return build_gru(vocab_size, config.dropout)
    if name == "transformer":
        return build_transformer(vocab_size, config.width, config.layers, config.dropout)
    return build_mingru(vocab_size, config.width, config.layers, config.dropout, training_scan(config.scan))


def compile_model(model: keras.Model, learning_rate: float, total_steps: int):
    """Adam with a short warm-up, then a cosine down to a tenth of the peak; the gradient norm clipped at 1."""
    warmup = max(1, min(100, total_steps // 10))
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, max(1, total_steps - warmup), alpha=0.1, warmup_target=learning_rate, warmup_steps=warmup
    )
    model.compile(keras.optimizers.Adam(schedule, clipnorm=1.0), keras.losses.SparseCategoricalCrossentropy(True))
    return schedule


def step_seconds(name: str, config, vocab_size: int, length: int) -> float:
    """Seconds of one training step on batch_size x context characters cut into windows of ``length``."""
    model = build(name, config, vocab_size)
    compile_model(model, LEARNING_RATES[name], 100)
    ids = np.random.default_rng(0).integers(
        0, vocab_size, (max(1, config.batch_size * config.context // length), length)
    )
    return timing.best_of(lambda: model.train_on_batch(ids, ids), repeats=3)


def step_lengths(config) -> list:
    if config.skip_timings:
        return [config.context]
    return sorted({32, 64, config.context} if config.quick else {64, config.context, 1024})


def plot_step_cost(step_cost, chars_per_step):
    fig, ax = plots.plt.subplots(figsize=(6.5, 3.8))
    for name, seconds in step_cost.items():
        ax.plot(list(seconds), list(seconds.values()), marker="o", label=name)
    ax.set(xscale="log", xlabel="window length T (same characters per step)", ylabel="seconds per training step")
    ax.set_ylim(bottom=0)
    lengths = list(next(iter(step_cost.values())))
    ax.set_xticks(lengths, [f"{t:,}" for t in lengths])
    ax.minorticks_off()
    ax.set_title(f"A training step on {chars_per_step:,} characters")
    ax.legend()
    return fig


ROUNDS = 10


def training_plan(run, names, config, seconds_per_step: dict) -> dict:
    """Rounds and steps per round for each model: ``config.steps`` steps in all, or as many as fit in
    ``config.minutes``; read back from the run folder when resuming."""
    path = run.file("plan.json")
    if path.is_file():
        return json.loads(path.read_text())
    plan = {}
    for name in names:
        total = config.steps or max(1, round(config.minutes * 60 / seconds_per_step[name]))
        rounds = min(ROUNDS, total)
        plan[name] = {"rounds": rounds, "steps": math.ceil(total / rounds)}
    write_atomic(path, json.dumps(plan) + "\n")
    return plan


def plot_curves(trained):
    fig, ax = plots.plt.subplots(figsize=(6.5, 3.8))
    for name, (_, history, seconds) in trained.items():
        ends = np.arange(1, len(history["val_loss"]) + 1) * seconds / len(history["val_loss"]) / 60
        ax.plot(ends, history["val_loss"], marker="o", label=name)
    ax.set(xlabel="training minutes", ylabel="validation loss (nats/char)", title="Validation loss against time")
    ax.legend()
    return fig


class AttentionGenerator(Generator):
    """Lesson 07's Generator for a Transformer: every step re-reads the last ``window`` characters."""

    def __init__(self, model: keras.Model, vocab: list, window: int):
        self.model, self.vocab, self.window = model, vocab, window
        self.index = {c: i for i, c in enumerate(vocab)}
        self.ids = []

    def scores(self) -> np.ndarray:
        context = self.ids[-self.window :]
        padded = np.zeros((1, self.window), "int32")  # always one shape: compiled once; the causal mask
        padded[0, : len(context)] = context  # keeps the padding after the context from changing its scores
        return self.model.predict_on_batch(padded)[0, len(context) - 1]

    def read(self, prime: str) -> np.ndarray:
        if not prime:
            raise CourseError("the priming string is empty; give at least one character")
        self.ids = list(encode(prime, self.index))
        return self.scores()

    def step(self, char_id: int) -> np.ndarray:
        self.ids.append(int(char_id))
        return self.scores()


def generator_for(name, model, config, vocab, window=NANOGPT_CONTEXT) -> Generator:
    if name == "transformer":
        return AttentionGenerator(model, vocab, window)
    if name == "gru":
        return Generator(stepper(model, gru_spec(len(vocab), config.dropout), 1), vocab)
    return Generator(mingru_stepper(model, len(vocab), config.width, config.layers), vocab)


def ms_per_char(generator: Generator, context: str, characters: int = 5) -> float:
    """Milliseconds per generated character once ``context`` has been read (best of two runs)."""
    generator.read(context)
    generator.step(0)  # the first step compiles
    times = []
    for _ in range(2):
        start = time.perf_counter()
        for _ in range(characters):
            generator.step(0)
        times.append((time.perf_counter() - start) / characters)
    return 1000 * min(times)


GENERATION_CONTEXTS = (256, 512, 1024, 2048)


def generation_cost(name, model, config, vocab, text, contexts) -> dict:
    """Milliseconds per new character after each of ``contexts`` characters of ``text``."""
    recurrent = None if name == "transformer" else generator_for(name, model, config, vocab)  # one for all contexts
    return {c: ms_per_char(recurrent or generator_for(name, model, config, vocab, c), text[:c]) for c in contexts}


def plot_generation(generation):
    fig, ax = plots.plt.subplots(figsize=(6.5, 3.8))
    for name, ms in generation.items():
        ax.plot(list(ms), list(ms.values()), marker="o", label=name)
    ax.set(xscale="log", yscale="log", xlabel="characters of context already read", ylabel="ms per new character")
    ax.set_title("The cost of writing one more character")
    contexts = list(next(iter(generation.values())))
    ax.set_xticks(contexts, [f"{c:,}" for c in contexts])
    ax.minorticks_off()
    ax.legend()
    return fig


PUBLISHED = [  # (model, validation loss in nats/char on fresh windows of 256, where it was measured)
    ("nanoGPT, 6-layer Transformer, 10.7M parameters (karpathy/nanoGPT README)", 1.4697, "one A100, about 3 minutes"),
    ("lesson 07, 2 x GRU(256), stateful, 14 epochs (README's lesson 07 table)", 1.4981, "2 CPU cores, 14 minutes"),
]
