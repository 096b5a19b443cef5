"""Lesson 09: after attention, recurrence again.

Attention replaced the RNN because an RNN trains one time step after another, and a Transformer
trains on every position of a window at once. In the last few years recurrence has come back in a new form:
*linear* recurrences whose gates read the input only (minGRU, "Were RNNs All We Needed?", Feng et
al. 2024; LRU, S4, Mamba, RWKV), which train in parallel over time like a Transformer and still
generate like an RNN, in the same time and memory for every new character. This lesson writes the
minGRU in a few lines of `keras.ops`, computes it three ways (a loop, a parallel scan, the paper's
log-space form) and trains it beside lesson 07's GRU and a small causal Transformer on tiny
Shakespeare, at the same budget, measuring what each costs on this machine.

Run it:   make lesson09                          (a two-minute budget per model: about 15 minutes on two cores)
          make lesson09 ARGS="--models mingru --minutes 13"   (one model, the budget of the README's table)
          make lesson09 ARGS="--scan parallel"   (train the minGRU with the parallel scan, as on a GPU)
Options:  --minutes 5, --steps 300 (instead of a time budget), --width 192, --skip-timings, --quick
Notebook: make notebooks, then open lessons/lesson09_recurrence.ipynb
"""

# %%
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
from course_utils.lesson import LessonConfig, configure, flag, show, show_figure
from course_utils.repro import set_seed
from course_utils.runs import Run, display_path, load_model
from lessons.saved.lesson07_char_lm import (
    NANOGPT_CONTEXT,
    Generator,
    ModelSpec,
    build_model,
    decode,
    encode,
    load_corpus,
    read_on,
    stateless_windows,
    stepper,
    windowed_loss,
    zero_states,
)

LESSON = "lesson09_recurrence"
SETTINGS_FILE = "models.json"  # the vocabulary and the sizes, beside the saved models
MODELS = ("gru", "transformer", "mingru")
SCANS = ("auto", "sequential", "parallel", "log")
f"Keras {keras.__version__} on {keras.backend.backend()}"  # a notebook shows the value of a cell's last line

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run the
# lesson again; as a script every field is a flag (`--models mingru`, `--minutes 14`). `--quick` (or
# `COURSE_QUICK=1` in the environment, for a notebook) trains small models for one epoch on the
# first 120,000 characters, with windows of 64.


# %%
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


config = configure(Config, LESSON)
set_seed(config.seed)
run = Run.start(LESSON, config)
chosen = config.models.split(",")
print(f"Lesson 09: {', '.join(chosen)} on tiny Shakespeare. Outputs go to {display_path(run.path)}")
show(config)

# %% [markdown]
# ## 1. The text, in windows
# The same tiny Shakespeare and split as lesson 07 (the first 90% trains, the last 10% validates),
# read by lesson 07's `load_corpus`. Every model predicts every character of a window of `context`
# characters from those before it, each window read from a fresh state: nanoGPT's protocol, under
# which its Transformer reaches 1.4697 nats per character on a GPU. Training windows start at
# random places in the text, as nanoGPT's `get_batch` draws them, in *rounds* of a few batches, so
# that a time budget can end anywhere in the text (a pass over it is about a million characters).
# Each batch is drawn from the seed, the round and its place in the round, so a resumed run draws
# the batches an uninterrupted one would have.


# %%
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


toy_rounds = WindowRounds(np.arange(100), context=6, batch_size=2, steps=1, seed=0)
print("windows of 0, 1, ..., 99, round 1:", toy_rounds[0][0].tolist())
toy_rounds.on_epoch_end()
print("round 2:", toy_rounds[0][0].tolist())

# %% [markdown]
# The real text, and one batch of this run:

# %%
corpus = load_corpus(None, config.quick)
if len(corpus.train_ids) <= config.context or len(corpus.val_ids) <= config.context:
    raise CourseError(f"the text is too short for windows of {config.context} characters: use a smaller --context")
val_ds = stateless_windows(corpus.val_ids, config.context, config.batch_size, drop_remainder=False)
window, target = WindowRounds(corpus.train_ids, config.context, config.batch_size, 1, config.seed)[0]
print(f"{len(corpus.train_ids):,} characters to train on, {len(corpus.val_ids):,} to validate")
print(f"{len(corpus.vocab)} distinct characters; a batch of windows: {window.shape}")
print(f"input:  {decode(window[0, :70], corpus.vocab)!r}\ntarget: {decode(target[0, :70], corpus.vocab)!r}")

# %% [markdown]
# ## 2. Three models
# Each maps a window of character ids to one score per character of the vocabulary at every
# position, and sees only the past: position t's scores depend on characters 0 to t.
#
# **The GRU** is lesson 07's best: two GRU layers of 256 units with dropout, built by lesson 07's
# `build_model`. Its gates read the previous state, z_t = σ(W_z x_t + U_z h_{t-1}), so step t cannot
# start before step t-1 has finished: training walks through the window one step at a time.


# %%
def gru_spec(vocab_size: int, dropout: float) -> ModelSpec:
    return ModelSpec(vocab_size, "gru", units=256, layers=2, embed_dim=64, dropout=dropout)


def build_gru(vocab_size: int, dropout: float) -> keras.Model:
    return build_model(gru_spec(vocab_size, dropout))


toy = build_gru(len(corpus.vocab), config.dropout)
print(f"GRU: {toy.count_params():,} parameters; scores for a batch of windows: {toy(window[:2]).shape}")

# %% [markdown]
# **The causal Transformer** has no recurrence at all: every position attends to every earlier
# one through Keras' `MultiHeadAttention` with `use_causal_mask=True`, so the whole window is one
# batch of matrix products. Attention does not know the order of what it reads: a sine-and-cosine
# code of each position (Vaswani et al. 2017) is added to the embeddings, defined for any length.
# Each block is the pre-normalised residual block of GPT-2 and nanoGPT: x + attention(norm(x)),
# then x + MLP(norm(x)).


# %%
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


codes = keras.ops.convert_to_numpy(SinePositions()(np.zeros((1, 4, 6), "float32")))[0]
print("position codes of positions 0-3, width 6 (sin and cos in pairs, slower pair by pair):")
print(np.round(codes, 3))

# %% [markdown]
# A block adds what attention finds to its input, then what a two-layer MLP computes from that,
# each after a layer normalisation; the causal mask hides every later position from each one.
# Changing characters late in a window must leave the scores before them exactly as they were:


# %%
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


toy = build_transformer(len(corpus.vocab), config.width, config.layers, config.dropout)
changed = window[:1].copy()
changed[0, 40:] = (changed[0, 40:] + 1) % len(corpus.vocab)  # change every character from position 40 on
gap = np.abs(keras.ops.convert_to_numpy(toy(window[:1]) - toy(changed)))
print(f"Transformer: {toy.count_params():,} parameters. Changing the characters from position 40 on moves")
print(
    f"the scores at positions 0-39 by at most {gap[0, :40].max():.1e}, at 40 onwards by up to {gap[0, 40:].max():.2f}"
)

# %% [markdown]
# **The minGRU** keeps the GRU's update and drops what made it sequential: its gate and its
# candidate read the input only, never the previous state,
#
# z_t = σ(W_z x_t + b_z),  h̃_t = g(W_h x_t + b_h),  h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t,
#
# where g(x) is x + ½ above zero and σ(x) below: like tanh it is smooth and bounded below, unlike
# tanh it is always positive, so its logarithm exists (section 3 needs it). One step, in `keras.ops`:


# %%
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


rng = np.random.default_rng(config.seed)
toy_x = rng.normal(size=(2, 6, 3)).astype("float32")  # 2 sequences of 6 steps, 3 inputs each
toy_w = [rng.normal(scale=0.5, size=s).astype("float32") for s in ((3, 4), (4,), (3, 4), (4,))]  # 4 units
h_6 = np.zeros((2, 4), "float32")
for t in range(6):
    h_6 = min_gru_step(toy_x[:, t], h_6, *toy_w)
print("h_6 of the first sequence, after a loop of six steps:", np.round(keras.ops.convert_to_numpy(h_6)[0], 4))

# %% [markdown]
# ## 3. One recurrence, three ways to compute it
# Written with a_t = 1 − z_t and b_t = z_t ⊙ h̃_t, the minGRU is a *linear recurrence*,
# h_t = a_t ⊙ h_{t−1} + b_t, and every a_t and b_t can be computed for the whole window at once
# (two matrix products, as in the Transformer). Only the recurrence is left, and there are three
# ways to run it:
#
# 1. **The loop** (`keras.ops.scan`): one step at a time, T steps of a few multiplications each.
# 2. **The parallel scan** (`keras.ops.associative_scan`): two steps, (a₁, b₁) then (a₂, b₂), make
#    one step h ↦ a₂(a₁h + b₁) + b₂ = (a₁a₂) h + (a₂b₁ + b₂). Combining steps that way is
#    *associative*, so a parallel prefix scan (Blelloch 1990) combines neighbours, then pairs of
#    pairs, and has every prefix (A_t, B_t) after about 2 log₂ T rounds; h_t = A_t h_0 + B_t.
# 3. **The log-space form** of the paper: h_t = A_t (h_0 + Σ_{k≤t} b_k / A_k) with A_t the running
#    product of the a's; in logarithms the product is a cumulative sum and the sum a cumulative
#    log-sum-exp (a parallel scan of `log_add`, associative too), which never forms the tiny A_t
#    a long window drives towards zero.


# %%
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


two_steps = combine((np.float32(0.5), np.float32(1.0)), (np.float32(0.8), np.float32(2.0)))
start = 3.0
print(f"from h = 3: step by step {0.8 * (0.5 * start + 1.0) + 2.0}, as one step {two_steps[0] * start + two_steps[1]}")

# %% [markdown]
# Now the minGRU's own a_t and b_t (and their logarithms, log a = −softplus(k) and
# log b = −softplus(−k) + log g, for the gate's pre-activation k) from the weights of the toy step
# above, run through each form: the loop of `min_gru_step`, and the three, must give the same states.


# %%
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


a, b, log_a, log_b = recurrence_inputs(toy_x, *toy_w)
zeros = np.zeros((2, 4), "float32")
forms = {
    "loop": linear_recurrence_loop(a, b, zeros),
    "parallel": linear_recurrence_parallel(a, b, zeros),
    "log-space": linear_recurrence_log(log_a, log_b),
}
gaps = ", ".join(f"{name} {largest_gap(h_6, states[:, -1]):.1e}" for name, states in forms.items())
print(f"h_6 from the loop of min_gru_step against h_6 from each form: {gaps}")
rows = []
for dtype in ("float32", "float64"):
    x = rng.normal(size=(4, 300, 3)).astype(dtype)
    weights = [w.astype(dtype) for w in toy_w]
    h0 = rng.uniform(0.1, 2.0, size=(4, 4)).astype(dtype)  # a non-zero start: a known bug of public versions
    a, b, log_a, log_b = recurrence_inputs(x, *weights)
    loop = linear_recurrence_loop(a, b, h0)
    parallel_gap = largest_gap(loop, linear_recurrence_parallel(a, b, h0))
    log_gap = largest_gap(loop, linear_recurrence_log(log_a, log_b, np.log(h0)))
    rows.append([dtype, f"{parallel_gap:.1e}", f"{log_gap:.1e}"])
show(markdown_table(["dtype, 300 steps, h0 != 0", "loop vs parallel", "loop vs log-space"], rows))

# %% [markdown]
# All three agree. In float32 the log-space form is the least exact (errors of about 5e-5 here,
# against 2e-7 for the parallel scan): its exp of a sum of logs turns float32's relative error in
# each log into an error of the whole state, where the other two only multiply and add. In float64
# it agrees to 1e-13. The course's tests hold all three to 1e-5 of each other on TensorFlow and
# JAX (the log-space form in float64).
#
# The minGRU layer computes a_t and b_t for the whole window with one Dense layer (W_z and W_h side
# by side) and runs the recurrence in the form `scan` names:


# %%
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


layer = MinGRU(4, "parallel")
print(f"a minGRU layer of 4 units reads {toy_x.shape} and returns {tuple(layer(toy_x).shape)}")

# %% [markdown]
# The model around it is the Transformer's with attention replaced by the minGRU:
# x + minGRU(norm(x)), then x + MLP(norm(x)). Because the state of each layer is just h, the same
# weights also run as a *state-passing* twin, like lesson 07's `stepper`: characters and states in,
# scores and states out, to generate one character at a time. Reading a text in two calls, the
# state carried between them, must give the scores the model gives reading it whole:


# %%
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


toy = build_mingru(len(corpus.vocab), config.width, config.layers, config.dropout)
reader = mingru_stepper(toy, len(corpus.vocab), config.width, config.layers)
whole = keras.ops.convert_to_numpy(toy(window[:1, :12]))
first, states = read_on(reader, window[:1, :5], zero_states(reader))  # lesson 07's read_on and zero_states
rest, _ = read_on(reader, window[:1, 5:12], states)
gap = max(largest_gap(whole[:, :5], first), largest_gap(whole[:, 5:], rest))
print(f"minGRU: {toy.count_params():,} parameters. The twin reading 5 + 7 characters, state carried,")
print(f"against the model reading all 12 at once: largest gap {gap:.1e}")

# %% [markdown]
# ## 4. The parallel scan on this machine
# The parallel scan does more work than the loop: about twice the multiplications, in log₂ T rounds
# that each read and write the whole (batch, T, units) array. What it saves is the loop's T steps
# one after another, each too small to keep a processor busy: it wins where many processors share
# each round (a GPU, for long windows), and a CPU's few cores may or may not gain from it, depending
# on how well the backend compiles either form. Measured here, each backend in a process of its own
# (best of 5, batch 32, 256 units, compiled: `tf.function` without XLA, which cannot compile
# `associative_scan`, and `jax.jit`):

# %%
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


scan_rows = []
if not config.skip_timings:
    lengths = SCAN_LENGTHS[:2] if config.quick else SCAN_LENGTHS
    scan_rows, missing = timing.scan_table(lengths, repeats=2 if config.quick else 5)
    write_atomic(run.file("scan_timing.md"), scan_markdown(scan_rows) + "\n")
    show(scan_markdown(scan_rows))
    print(scan_verdict(scan_rows))
    if missing:
        print(f"Not installed here: {', '.join(missing)} (make lesson09 BACKEND=jax installs JAX, then run this again)")

# %% [markdown]
# ## 5. What a training step costs, against the window's length
# All three train the same way: Adam, its step warmed up over the first steps (at most 100) and
# then decayed along a cosine to a tenth of its peak, the gradient's norm clipped at 1, and the
# loss of lesson 07 (cross-entropy over the next character, from the scores). The minGRU trains
# with the loop on a CPU and with the parallel scan on a GPU (`--scan` chooses), as section 4 says.


# %%
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


schedule = compile_model(toy, 3e-3, total_steps=1000)
print(f"minGRU scan in training: {training_scan(config.scan)}. Adam's step over 1,000 steps at a peak of 3e-3:")
print({step: f"{float(schedule(step)):.1e}" for step in (0, 50, 100, 500, 1000)})

# %% [markdown]
# Now the time of one training step on the same number of characters (`batch_size` x `context`),
# cut into windows of different lengths. A model that runs every position at once does the same
# work either way, except the Transformer's attention, whose cost grows with the square of the
# window; the GRU's loop takes T steps one after another, each smaller when the windows are longer
# and fewer. The time at this run's `context` also sizes each model's budget in section 6.


# %%
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


step_cost = {
    name: {t: step_seconds(name, config, len(corpus.vocab), t) for t in step_lengths(config)} for name in chosen
}
header = ["model", *(f"T = {t:,}" for t in step_lengths(config))]
show(markdown_table(header, [[n, *(f"{s:.2f} s" for s in step_cost[n].values())] for n in chosen]))


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


if len(step_lengths(config)) > 1:
    show_figure(plot_step_cost(step_cost, config.batch_size * config.context), run, "step_cost.png")

# %% [markdown]
# ## 6. Training at one budget
# Every model gets the same minutes (`--minutes`), turned into training steps from its own step
# time above, so that its learning-rate schedule (a short warm-up, then a cosine) ends where its
# training does; `--steps` fixes the number of steps instead. The steps run in ten rounds, each
# followed by the validation loss on the first 64 validation windows. The same seed, the same
# random windows and the same dropout for all three; each its own peak learning rate (the
# Transformer's is nanoGPT's). The plan is saved in the run folder, so an interrupted run
# (`--run-dir`) resumes with the same one.


# %%
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


plan = training_plan(run, chosen, config, {n: step_cost[n][config.context] for n in chosen})
steps = {n: plan[n]["rounds"] * plan[n]["steps"] for n in chosen}
header = ["model", "parameters", "training steps", "characters", "planned minutes", "peak learning rate"]
rows = [
    [n, f"{build(n, config, len(corpus.vocab)).count_params():,}", f"{steps[n]:,}",
     f"{steps[n] * config.batch_size * config.context:,}", f"{steps[n] * step_cost[n][config.context] / 60:.1f}",
     LEARNING_RATES[n]] for n in chosen
]  # fmt: skip
show(markdown_table(header, rows))

# %% [markdown]
# `run.fit` trains with the run's callbacks (TensorBoard logs in `logs/<model>`, a backup after
# every round) and measures the validation loss after each round. Keras calls a round an epoch.

# %%
trained = {}
for name in chosen:
    set_seed(config.seed)  # the same start for each model, whether or not others trained before it
    model = build(name, config, len(corpus.vocab))
    compile_model(model, LEARNING_RATES[name], steps[name])
    rounds = WindowRounds(corpus.train_ids, config.context, config.batch_size, plan[name]["steps"], config.seed)
    print(f"\n{name}: {plan[name]['rounds']} rounds of {plan[name]['steps']} steps")
    fitted = run.fit(
        model, rounds, epochs=plan[name]["rounds"], phase=name, validation_data=val_ds.take(1), histograms=False
    )
    trained[name] = (model, fitted.history, fitted.seconds)
    print(f"{name}: {fitted.seconds:.0f} s, validation loss {fitted.history['val_loss'][-1]:.3f} nats/char")


def plot_curves(trained):
    fig, ax = plots.plt.subplots(figsize=(6.5, 3.8))
    for name, (_, history, seconds) in trained.items():
        ends = np.arange(1, len(history["val_loss"]) + 1) * seconds / len(history["val_loss"]) / 60
        ax.plot(ends, history["val_loss"], marker="o", label=name)
    ax.set(xlabel="training minutes", ylabel="validation loss (nats/char)", title="Validation loss against time")
    ax.legend()
    return fig


show_figure(plot_curves(trained), run, "validation_curves.png")

# %% [markdown]
# ## 7. Generating: what each new character costs
# A recurrent model writes the next character from its state: the same few matrix products
# whatever came before. The Transformer has no state: each new character attends over everything
# before it. nanoGPT's `generate` re-reads its whole context for every character, and so does the
# generator below (keeping the attention's keys and values between steps, a *KV cache*, saves
# re-reading, but each step still attends over all of them and the cache grows with the context).


# %%
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


attention = build_transformer(len(corpus.vocab), config.width, config.layers, 0.0)
prime_ids = encode("ROMEO:", {c: i for i, c in enumerate(corpus.vocab)})[None]
padded = AttentionGenerator(attention, corpus.vocab, window=64).read("ROMEO:")
print(
    f"scores after 'ROMEO:' read in a padded window of 64 vs read alone: largest gap "
    f"{largest_gap(padded, attention.predict_on_batch(prime_ids)[0, -1]):.1e}"
)

# %% [markdown]
# Each model's generator reads a context of 256 to 2,048 characters of the validation text, then
# writes a few characters; the time per character is the best of two tries. The GRU and the minGRU
# carry their states and read nothing again; the Transformer reads a window as long as the context.


# %%
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
contexts = (256, 2048) if config.quick else GENERATION_CONTEXTS
val_text = corpus.val_text


def generation_cost(name, model, config, vocab, text, contexts) -> dict:
    """Milliseconds per new character after each of ``contexts`` characters of ``text``."""
    recurrent = None if name == "transformer" else generator_for(name, model, config, vocab)  # one for all contexts
    return {c: ms_per_char(recurrent or generator_for(name, model, config, vocab, c), text[:c]) for c in contexts}


generation = {
    name: generation_cost(name, model, config, corpus.vocab, val_text, contexts)
    for name, (model, _, _) in trained.items()
}
header = ["model", *(f"context {c:,}" for c in contexts)]
show(markdown_table(header, [[name, *(f"{ms:.2f} ms" for ms in cost.values())] for name, cost in generation.items()]))

# %% [markdown]
# The same, drawn on logarithmic axes: a flat line costs the same whatever the context.


# %%
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


show_figure(plot_generation(generation), run, "generation_cost.png")

# %% [markdown]
# ## 8. The results, side by side
# Validation loss on nanoGPT's protocol: the held-out 10% tiled with windows of 256 characters,
# each read from a fresh state, every character predicted (lesson 07's `windowed_loss`).


# %%
def results_for(name, model, history, seconds, config, steps) -> dict:
    rounds = len(history["loss"])
    return {
        "val_loss_fresh_256": windowed_loss(model, corpus.val_ids, NANOGPT_CONTEXT),
        "params": model.count_params(),
        "train_steps": rounds * steps,
        "train_seconds": seconds,
        "train_chars_per_second": rounds * steps * config.batch_size * config.context / max(seconds, 1e-9),
        "generate_ms_per_char_256": generation[name][256],
        "generate_ms_per_char_2048": generation[name][2048],
    }


results = {name: results_for(name, *trained[name], config, plan[name]["steps"]) for name in trained}
columns = list(next(iter(results.values())))
cells = {name: [f"{v:,.3f}" if isinstance(v, float) else f"{v:,}" for v in r.values()] for name, r in results.items()}
show(markdown_table(["model", *columns], [[name, *row] for name, row in cells.items()]))

# %% [markdown]
# ## 9. Samples
# Each model continues the same prime at temperature 0.8 (lesson 07's sampling), the Transformer
# from the last 256 characters it has, the recurrent models from their states.

# %%
samples = {}
for name, (model, _, _) in trained.items():
    samples[name] = generator_for(name, model, config, corpus.vocab).generate(
        "ROMEO:\n", config.sample_length, temperature=0.8, seed=config.seed
    )
    print(f"--- {name} ---\nROMEO:\n{samples[name]}\n")

# %% [markdown]
# ## 10. Saving the models and the results
# One `.keras` file per model (the Transformer's and the minGRU's layers are registered with Keras,
# so `keras.saving.load_model` rebuilds them), `models.json` (the vocabulary and the sizes, for
# `python -m lessons.lesson09_recurrence predict "ROMEO:"`) and `metrics.json`: every model's results with its
# name in front (`mingru_val_loss_fresh_256`), and, when the run trained one model, the same
# numbers without it (what `make bench` reads), with the scan timings and the configuration.

# %%
metrics = {f"{name}_{key}": value for name, r in results.items() for key, value in r.items()}
if len(results) == 1:
    metrics |= next(iter(results.values()))
metrics |= {f"{name}_step_seconds_{t}": s for name, cost in step_cost.items() for t, s in cost.items()}
metrics |= {
    f"scan_{r['backend']}_{k}_ms_{r['length']}": r[f"{k}_ms"] for r in scan_rows for k in ("sequential", "parallel")
}
paths = {name: str(run.save_model(model, f"{name}.keras")) for name, (model, _, _) in trained.items()}
settings = {"vocab": "".join(corpus.vocab), "width": config.width, "layers": config.layers, "dropout": config.dropout}
write_atomic(run.file(SETTINGS_FILE), json.dumps(settings) + "\n")  # what `predict` needs beside each model
run.write_metrics(
    metrics, config, scan_timing=scan_rows, samples=samples, model_files=paths, mingru_scan=training_scan(config.scan)
)
run.finish()
last = chosen[-1]
reloaded = load_model(paths[last], LESSON)
gap = largest_gap(reloaded.predict_on_batch(window[:2]), trained[last][0].predict_on_batch(window[:2]))
print(f"{last} reloaded from {display_path(paths[last])}: the same scores as the trained model to {gap:.1e}")

# %% [markdown]
# ## 11. What the numbers say
# On this machine, read the tables above together. Attention's advantage is a training step that
# runs every position at once, and it pays on hardware with thousands of arithmetic units; on two
# CPU cores a Transformer's step on the same characters costs more than the recurrent models' (its
# attention grows with the square of the window), so at one budget it sees fewer characters.
# Writing text, it pays again: every new character attends over the whole context, and its cost
# grows with the context while the GRU's and the minGRU's stays flat. The minGRU trains like the
# Transformer, all positions at once apart from a cheap linear scan, and writes like the GRU; the
# paper's 175x speed-up over the GRU (T = 512) was measured on a GPU, where the parallel scan pays.
# Against published results on the same text and protocol:

# %%
PUBLISHED = [  # (model, validation loss in nats/char on fresh windows of 256, where it was measured)
    ("nanoGPT, 6-layer Transformer, 10.7M parameters (karpathy/nanoGPT README)", 1.4697, "one A100, about 3 minutes"),
    ("lesson 07, 2 x GRU(256), stateful, 14 epochs (README's lesson 07 table)", 1.4981, "2 CPU cores, 14 minutes"),
]
rows = [
    [f"this run: {name}, {r['params']:,} parameters", f"{r['val_loss_fresh_256']:.4f}",
     f"{timing.device_name()}, {r['train_seconds'] / 60:.1f} minutes"] for name, r in results.items()
]  # fmt: skip
rows += [[name, f"{loss:.4f}", where] for name, loss, where in PUBLISHED]
if config.quick:
    print("A quick run (120,000 characters, small models): its numbers are not comparable with the published ones.")
show(markdown_table(["model", "validation loss (nats/char)", "measured on"], rows))
print("\nNext: the exercises for this lesson: make check EX=ex09   (stuck? make hint EX=ex09a)")
