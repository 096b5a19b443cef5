"""Lesson 07: a character-level language model, and what its neurons learn.

A recurrent network reads about a million characters of Shakespeare and learns to predict the
next character: embedding -> GRU (or LSTM, or a plain RNN) -> a softmax over every character
the text uses. It trains on fixed-length windows with truncated backpropagation through time
and gradient clipping, writes new Shakespeare after every epoch, reports the validation loss in
nats, bits per character and perplexity, and then looks for single hidden units that track
features of the text, drawn as coloured text as in Karpathy's "The Unreasonable Effectiveness
of Recurrent Neural Networks".

Run it:   make lesson07                       (about 4 minutes on two cores: --max-minutes 4)
          make lesson07 ARGS="--stateful"     (carry the hidden state from window to window)
          make lesson07 ARGS="--source tfds"  (tiny Shakespeare through tensorflow-datasets: the same text)
          make lesson07 ARGS="--workers 2"    (data parallel: two worker processes on TensorFlow, two devices on JAX)
Options:  --cell lstm, --temperature 0.5, --top-k 5, --prime "ROMEO:", --text my_book.txt, --quick
Compare:  make compare07                      (stateless against stateful training, same seed and budget)
Predict:  python -m lessons.lesson07_char_lm predict --temperature 0.8 "ROMEO:" "To be"
Notebook: make notebooks, then open lessons/lesson07_char_lm.ipynb
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, data, plots, tfds_source
from course_utils.atomic import write_atomic
from course_utils.inputs import read_json, read_text_file
from course_utils.layers import check_stateful_backend, recurrent_layer
from course_utils.lesson import LessonConfig, SourceOption, WorkersOption, configure, flag, show, show_figure
from course_utils.repro import set_seed
from course_utils.runs import Run, TimeBudget, display_path, load_model

LESSON = "lesson07_char_lm"
VALIDATION_FRACTION = 0.10
MIN_CHARS = 5_000
MAX_VOCAB = 1_000
MAX_PRIME_CHARS = 10_000  # the model reads a prime one character at a time
SAMPLE_LENGTH = cli.int_between(1, 10_000, "the model writes one character at a time")  # a flag type
QUICK_CHARS = 120_000
CHAR_FILE = "char_lm.json"  # the vocabulary and model settings, saved next to model.keras
NANOGPT_CONTEXT = 256  # nanoGPT's character-level Shakespeare model reads windows of 256 characters
f"Keras {keras.__version__} on {keras.backend.backend()}"  # a notebook shows the value of a cell's last line

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run
# the lesson again; as a script every field is a flag (`--units 512`, `--stateful`,
# `--prime "ROMEO:"`). `--quick` (or `COURSE_QUICK=1` in the environment, for a notebook) trains
# a small model on the first 120,000 characters for two epochs.


# %%
@dataclass
class Config(LessonConfig, WorkersOption, SourceOption):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(8, "training epochs", type=cli.positive_int)
    batch_size: int = flag(64, "batch size", type=cli.batch_size)
    text: str | None = flag(None, "train on your own UTF-8 text file instead of tiny Shakespeare", metavar="FILE")
    units: int = flag(256, "units per recurrent layer", type=cli.layer_size)
    layers: int = flag(1, "stacked recurrent layers", type=cli.layer_count)
    embed_dim: int = flag(64, "character embedding size", type=cli.layer_size)
    seq_len: int = flag(64, "window length: how far back gradients flow", type=cli.sequence_length)
    dropout: float = flag(0.0, "dropout after each layer", type=cli.fraction)
    lr: float = flag(3e-3, "Adam learning rate, cosine-decayed", type=cli.learning_rate)
    stateful: bool = flag(False, "carry the hidden state across consecutive windows")
    temperature: float = flag(0.8, "sampling temperature", type=cli.non_negative_float)
    top_k: int | None = flag(None, "sample only among the k likeliest", type=cli.positive_int)
    prime: str = flag("\\n", "text to start each sample with, \\n = new line", type=cli.short_text(MAX_PRIME_CHARS))
    sample_length: int = flag(400, "characters per sample", type=SAMPLE_LENGTH)
    neuron_chars: int = flag(20_000, "validation characters the unit search reads", type=cli.positive_int)
    max_minutes: float = flag(
        4.0, "stop before an epoch would overrun these minutes; 0: none", type=cli.non_negative_float
    )

    QUICK = {"epochs": 2, "units": 96, "batch_size": 32, "sample_length": 120, "max_minutes": 0, "neuron_chars": 4_000}

    def __post_init__(self):  # checked as the flags are read, before --workers starts any process
        if self.stateful and self.workers > 1:
            raise CourseError("--stateful trains on one worker (each stream's rows in order): leave out --workers")
        if self.text and self.source == "tfds":
            raise CourseError("--source tfds reads tiny Shakespeare; with --text FILE leave out --source")

    def prime_text(self) -> str:
        return self.prime.replace("\\n", "\n")  # a typed "\n" means a line break


config = configure(Config, LESSON)
show(config)
check_stateful_backend(config)  # stateful training needs TensorFlow (README, "On JAX or PyTorch")
set_seed(config.seed)
tf.get_logger().setLevel("ERROR")  # each twin model below traces its own predict step; the warning is noise here
run = Run.start(LESSON, config, cell=config.cell)
variant = "stateful (state carried across windows)" if config.stateful else "stateless (zero state per window)"
print(
    f"Lesson 07: a character-level {config.layers} x {config.cell.upper()}({config.units}) language model, "
    f"{variant}{' (quick)' if config.quick else ''}. Outputs go to {display_path(run.path)}"
)

# %% [markdown]
# ## 1. Text in, integers out
# The vocabulary is every distinct character of the corpus; each character becomes its index,
# and the text becomes one long row of integers. `--text` trains on a file of your own, checked
# first:


# %%
def read_user_text(path: str) -> str:
    """A learner's own UTF-8 text file, with a one-line error for anything that would not train."""
    text = read_text_file(path, "text file")  # missing, a folder, too big, binary or not UTF-8: one line
    if not text.strip():
        raise CourseError(f"{path} is empty; give a UTF-8 text file of at least {MIN_CHARS:,} characters")
    if len(text) < MIN_CHARS:
        raise CourseError(f"{path} has only {len(text):,} characters; a language model needs at least {MIN_CHARS:,}")
    distinct = len(set(text))
    if distinct > MAX_VOCAB:
        raise CourseError(f"{path} has {distinct:,} distinct characters (more than {MAX_VOCAB:,}); is it really text?")
    return text


def encode(text: str, index: dict) -> np.ndarray:
    unknown = sorted({c for c in text if c not in index})
    if unknown:
        shown = "".join(unknown[:20]).replace("\n", "\\n")
        raise CourseError(f"{text[:40]!r} has characters the model never saw: {shown!r}")
    return np.array([index[c] for c in text], dtype=np.int32)


def decode(ids, vocab) -> str:
    return "".join(vocab[int(i)] for i in ids)


toy_vocab = sorted(set("to be or not to be"))
toy_ids = encode("not to be", {c: i for i, c in enumerate(toy_vocab)})
print(f"vocabulary {toy_vocab}: 'not to be' -> {toy_ids.tolist()} -> {decode(toy_ids, toy_vocab)!r}")

# %% [markdown]
# The split is contiguous: the first 90% trains, the last 10% validates. A random split would
# put near-copies of every validation line (the same speech, a few characters further on) into
# the training windows and make the validation loss look better than it is.
#
# Many tutorials get the text with one call, `tfds.load("tiny_shakespeare")`; `--source tfds`
# reads it that way and joins its splits: the identical text, so every number below is the same
# (README, "Through tensorflow-datasets").


# %%
@dataclass
class Corpus:
    name: str
    text: str
    vocab: list
    train_ids: np.ndarray
    val_ids: np.ndarray

    @property
    def val_text(self) -> str:
        return self.text[len(self.train_ids) :]


def load_corpus(text_file: str | None, quick: bool, source: str = "course") -> Corpus:
    if text_file:
        name, text = Path(text_file).name, read_user_text(text_file)
    elif source == "tfds":
        name, text = "tinyshakespeare", tfds_source.tiny_shakespeare()  # tfds.load("tiny_shakespeare"), joined
    else:
        name, text = "tinyshakespeare", data.read_text("tinyshakespeare")
    vocab = sorted(set(text))
    if quick:
        text = text[:QUICK_CHARS]  # the vocabulary stays the full one, so a quick model can read any prime
    ids = encode(text, {c: i for i, c in enumerate(vocab)})
    split = int(len(ids) * (1 - VALIDATION_FRACTION))
    return Corpus(name, text, vocab, ids[:split], ids[split:])


corpus = load_corpus(config.text, config.quick, config.source)
set_seed(config.seed)  # tfds draws random numbers while it loads: the model starts from the same seed either way
print(
    f"{corpus.name}{' (through tensorflow-datasets)' if config.source == 'tfds' else ''}: "
    f"{len(corpus.text):,} characters{' (the quick slice)' if config.quick else ''}: "
    f"{len(corpus.train_ids):,} to train on, the last {len(corpus.val_ids):,} to validate"
)
print("\nThe first 400 characters:\n")
print(corpus.text[:400])

# %% [markdown]
# Every character is one of a small vocabulary. Note the line break (`'\n'`, index 0): it is an
# ordinary character the model must learn to place, and it is what gives a play its layout.

# %%
index = {c: i for i, c in enumerate(corpus.vocab)}
prime = config.prime_text()
encode(prime, index)  # a prime with characters the corpus lacks fails now, not after training
if len(corpus.val_ids) <= config.seq_len:
    raise CourseError(
        f"the validation part (last 10%) has {len(corpus.val_ids)} characters, not enough for one window of "
        f"{config.seq_len}; use a longer text or a smaller --seq-len"
    )
print(f"Vocabulary: {len(corpus.vocab)} characters: {''.join(corpus.vocab)!r}")
excerpt = corpus.text[:40]
print(f"\n{excerpt!r}\nas ids: {corpus.train_ids[:40].tolist()}")
print(f"and back: {decode(corpus.train_ids[:40], corpus.vocab)!r}")

# %% [markdown]
# ## 2. Windows and truncated backpropagation through time
# Backpropagating through a million steps is impossible, so the text is cut into windows
# of `seq_len` characters (inputs) and the same window shifted by one (targets). Gradients
# flow back at most `seq_len` steps: that is *truncated* BPTT.
#
# **Stateless** training shuffles the windows and starts every one from a zero hidden
# state: the model can never use more than `seq_len` characters of context.
#
# **Stateful** training (char-rnn's way, `stateful=True`) cuts the text into `batch_size` long
# streams and feeds each stream's windows in order, carrying the hidden state from one window
# into the next (gradients still stop at the window edge). Row r of batch k+1 continues row r
# of batch k, so nothing may be shuffled, and the state is reset at each epoch's start.
# On the very first window both variants see a zero state and compute the same loss.
# Here are 25 ids cut into 2 streams of windows of 3:


# %%
def stateless_windows(ids: np.ndarray, seq_len: int, batch_size: int, seed: int | None = None, drop_remainder=True):
    """Non-overlapping (input, target) windows, shuffled every epoch when ``seed`` is given."""
    count = (len(ids) - 1) // seq_len
    x = ids[: count * seq_len].reshape(count, seq_len)
    y = ids[1 : count * seq_len + 1].reshape(count, seq_len)
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if seed is not None:
        dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def stream_batches(ids: np.ndarray, seq_len: int, batch_size: int):
    """Arrays (steps, batch, seq_len): row r of step k+1 is the text right after row r of step k."""
    stream_len = (len(ids) - 1) // batch_size
    steps = stream_len // seq_len
    if steps == 0:
        raise CourseError(f"the text is too short for {batch_size} streams of {seq_len} characters")
    used = steps * seq_len
    starts = np.arange(batch_size) * stream_len
    x = np.stack([ids[s : s + used] for s in starts])
    y = np.stack([ids[s + 1 : s + used + 1] for s in starts])
    x = x.reshape(batch_size, steps, seq_len).transpose(1, 0, 2)
    y = y.reshape(batch_size, steps, seq_len).transpose(1, 0, 2)
    return x, y


def stateful_windows(ids: np.ndarray, seq_len: int, batch_size: int):
    x, y = stream_batches(ids, seq_len, batch_size)
    return tf.data.Dataset.from_tensor_slices((x, y)).prefetch(tf.data.AUTOTUNE)  # in order, never shuffled


toy_x, toy_y = stream_batches(np.arange(25), seq_len=3, batch_size=2)
for k in range(2):
    print(f"batch {k + 1}: inputs {toy_x[k].tolist()}, targets {toy_y[k].tolist()}")

# %% [markdown]
# This run's batches, and the same two consecutive stateful batches in the real text:

# %%
if config.stateful:
    train_ds = stateful_windows(corpus.train_ids, config.seq_len, config.batch_size)
else:
    train_ds = stateless_windows(corpus.train_ids, config.seq_len, config.batch_size, seed=config.seed)
steps = int(train_ds.cardinality())
if steps < 1:
    raise CourseError(f"the training text is too short for one batch of {config.batch_size} x {config.seq_len}")
batch_x, batch_y = (keras.ops.convert_to_numpy(t) for t in next(iter(train_ds)))
print(
    f"One {'stateful' if config.stateful else 'stateless'} batch: inputs {tuple(batch_x.shape)}, "
    f"targets {tuple(batch_y.shape)}; {steps} batches per epoch"
)
print(f"row 0, input:  {decode(batch_x[0], corpus.vocab)!r}")
print(f"row 0, target: {decode(batch_y[0], corpus.vocab)!r}   (the same text, one character on)")

stream_x, _ = stream_batches(corpus.train_ids, config.seq_len, config.batch_size)
print(
    f"\nIn stateful order ({stream_x.shape[1]} streams of {stream_x.shape[0]} windows), row 1 of two consecutive "
    f"batches{'' if config.stateful else ' (this run is stateless and shuffles instead)'}:"
)
print(f"batch 1: {decode(stream_x[0, 1], corpus.vocab)!r}")
print(f"batch 2: {decode(stream_x[1, 1], corpus.vocab)!r}   (continues batch 1's row)")

# %% [markdown]
# ## 3. The model
# Embedding (a learned vector per character) -> `layers` recurrent layers -> a Dense layer
# giving one score (logit) per character; softmax turns the scores into probabilities.
# The same weights can be loaded into twins of the network. A *stateful* twin with a fixed
# batch size keeps its hidden state from one batch to the next: it is what stateful training
# trains. With `--workers 2` the model is built on two worker processes that train it together
# (`run.scope()`; README, "More than one process").


# %%
@dataclass
class ModelSpec:
    vocab_size: int
    cell: str = "gru"
    units: int = 256
    layers: int = 1
    embed_dim: int = 64
    dropout: float = 0.0


def build_model(spec: ModelSpec, stateful: bool = False, batch_size: int | None = None) -> keras.Model:
    if stateful and batch_size is None:
        raise ValueError("a stateful model needs a fixed batch size")
    inputs = keras.Input(batch_shape=(batch_size, None), dtype="int32", name="chars")
    x = keras.layers.Embedding(spec.vocab_size, spec.embed_dim, name="embedding")(inputs)
    for i in range(1, spec.layers + 1):
        x = recurrent_layer(
            spec.cell, spec.units, return_sequences=True, stateful=stateful, name=recurrent_name(spec, i)
        )(x)
        if spec.dropout:
            x = keras.layers.Dropout(spec.dropout, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(spec.vocab_size, name="next_char_logits")(x)
    return keras.Model(inputs, logits, name=f"char_{spec.cell}{'_stateful' if stateful else ''}")


def recurrent_name(spec: ModelSpec, layer: int) -> str:
    return f"{spec.cell}_{layer}"


def twin(model: keras.Model, spec: ModelSpec, stateful: bool, batch_size: int | None = None) -> keras.Model:
    """The same network built again (stateless, or stateful with a fixed batch) with ``model``'s weights."""
    copy = build_model(spec, stateful=stateful, batch_size=batch_size)
    copy.set_weights(model.get_weights())
    return copy


def reset_states(model: keras.Model) -> None:
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


spec = ModelSpec(len(corpus.vocab), config.cell, config.units, config.layers, config.embed_dim, config.dropout)
with run.scope():
    model = build_model(spec, stateful=config.stateful, batch_size=config.batch_size if config.stateful else None)
model.summary()
logits = keras.ops.convert_to_numpy(model(batch_x, training=False))
print(f"Scores for the batch: {logits.shape} = (rows, characters per window, one score per vocabulary entry)")

# %% [markdown]
# A *state-passing* twin (`stepper`) takes the hidden state as an extra input and returns the
# state it ends in, so the caller carries the state from one call to the next: that is how the
# validation text is read continuously and how text is generated one character at a time
# (batch 1) without re-reading its whole past at each step. Reading a text in two calls, the
# state carried between them, gives the scores of one call over the whole text:


# %%
def stepper(model: keras.Model, spec: ModelSpec, batch_size: int) -> keras.Model:
    """A state-passing twin with ``model``'s weights: (chars, *states) in, (logits, *states) out.

    Each recurrent layer starts from the states it is given (h, and c for an LSTM) and returns
    the states it ends in; the caller passes them to the next call (``read_on``).
    """
    chars = keras.Input(batch_shape=(batch_size, None), dtype="int32", name="chars")
    x = keras.layers.Embedding(spec.vocab_size, spec.embed_dim, name="embedding")(chars)
    state_inputs, state_outputs = [], []
    for i in range(1, spec.layers + 1):
        initial = [
            keras.Input(batch_shape=(batch_size, spec.units), name=f"state_{i}_{k}")
            for k in range(2 if spec.cell == "lstm" else 1)
        ]
        layer = recurrent_layer(
            spec.cell, spec.units, return_sequences=True, return_state=True, name=recurrent_name(spec, i)
        )
        x, *final = layer(x, initial_state=initial)
        state_inputs += initial
        state_outputs += final
    logits = keras.layers.Dense(spec.vocab_size, name="next_char_logits")(x)
    copy = keras.Model([chars, *state_inputs], [logits, *state_outputs], name=f"char_{spec.cell}_stepper")
    copy.set_weights(model.get_weights())
    return copy


def zero_states(stepper_model: keras.Model) -> list:
    """The zero states a state-passing twin starts from, one array per state input."""
    return [np.zeros(tuple(state.shape), dtype="float32") for state in stepper_model.inputs[1:]]


def read_on(stepper_model: keras.Model, ids: np.ndarray, states: list) -> tuple:
    """Read ``ids`` (batch, time) on from ``states``: the logits and the states it ends in."""
    logits, *states = stepper_model.predict_on_batch([ids, *states])
    return logits, states


reader = stepper(model, spec, batch_size=1)  # the generator of section 5 writes with it
whole, _ = read_on(reader, corpus.train_ids[None, :12], zero_states(reader))
first, states = read_on(reader, corpus.train_ids[None, :5], zero_states(reader))
rest, _ = read_on(reader, corpus.train_ids[None, 5:12], states)
print(f"12 characters in one call vs 5 + 7 with the state carried: largest gap {np.abs(whole[:, 5:] - rest).max():.1e}")

# %% [markdown]
# ## 4. Measuring: nats, bits and perplexity
# The loss is the average negative log-probability of the true next character, in nats
# (natural log). Divide by ln 2 for bits per character; exp(loss) is the perplexity, the
# number of equally likely characters the model is, on average, choosing among. Guessing
# uniformly among all V characters scores ln V nats, a perplexity of V: the untrained model,
# below, is close to that.


# %%
def nll_sum(logits: np.ndarray, targets: np.ndarray) -> float:
    logits = logits.astype(np.float64)
    top = logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(logits, targets[..., None].astype(np.int64), axis=-1)[..., 0]
    return float((log_norm - picked).sum())


def in_units(nats: float) -> dict:
    perplexity = math.exp(nats) if nats < 700 else math.inf  # a diverging loss must not overflow here
    return {"nats": nats, "bpc": nats / math.log(2), "perplexity": perplexity}


def units_table(rows: dict) -> str:
    """A Markdown table of losses, one row per name: nats, bits per character, perplexity."""
    lines = ["| | nats per character | bits per character | perplexity |", "|---|---|---|---|"]
    for name, nats in rows.items():
        u = in_units(nats)
        lines.append(f"| {name} | {u['nats']:.3f} | {u['bpc']:.3f} | {u['perplexity']:.2f} |")
    return "\n".join(lines)


uniform = math.log(len(corpus.vocab))
untrained_loss = nll_sum(logits, batch_y) / batch_y.size
rows = {f"uniform guess among {len(corpus.vocab)} characters": uniform}
show(units_table({**rows, "the untrained model, on the batch above": untrained_loss}))

# %% [markdown]
# The validation loss is measured two ways after every epoch (section 7 says why): reading the
# validation text continuously as a few parallel streams with the state carried (a
# state-passing twin), and in separate windows of `seq_len` that each start from a zero state
# (a stateless twin).


# %%
def eval_streams(n_chars: int, most: int = 16) -> int:
    """How many parallel streams to read a text of ``n_chars`` as (at least 100 characters each)."""
    return max(1, min(most, (n_chars - 1) // 100))


def carried_state_loss(stepper_model: keras.Model, ids: np.ndarray, chunk: int = 250) -> float:
    """Mean loss reading ``ids`` as parallel streams with the state carried (char-rnn's evaluation).

    ``stepper_model`` is a state-passing twin (``stepper``); its batch size is the number of streams.
    """
    streams = stepper_model.inputs[0].shape[0]
    chunk = max(1, min(chunk, (len(ids) - 1) // streams))
    x, y = stream_batches(ids, chunk, streams)
    states, total = zero_states(stepper_model), 0.0
    for xb, yb in zip(x, y):
        logits, states = read_on(stepper_model, xb, states)
        total += nll_sum(logits, yb)
    return total / y.size


def windowed_loss(model: keras.Model, ids: np.ndarray, seq_len: int, batch_size: int = 64) -> float:
    """Mean loss over separate windows of ``seq_len`` characters, each starting from a zero state."""
    total, count = 0.0, 0
    for xb, yb in stateless_windows(ids, seq_len, batch_size, drop_remainder=False).as_numpy_iterator():
        total += nll_sum(model.predict_on_batch(xb), yb)
        count += yb.size
    if count == 0:
        raise CourseError(f"the validation text ({len(ids)} characters) is shorter than one window of {seq_len}")
    return total / count


def validation_losses(stateless: keras.Model, carrier: keras.Model, ids: np.ndarray, seq_len: int) -> dict:
    """The loss on ``ids`` with the state carried (in nats, bits and perplexity) and in fresh windows."""
    carried = in_units(carried_state_loss(carrier, ids))
    windows = windowed_loss(stateless, ids, seq_len)
    named = {"val_loss": carried["nats"], "val_bpc": carried["bpc"], "val_perplexity": carried["perplexity"]}
    return {**named, "val_loss_windows": windows}


streams = eval_streams(len(corpus.val_ids))
print(
    f"Each epoch reads the {len(corpus.val_ids):,} validation characters as {streams} streams of "
    f"{(len(corpus.val_ids) - 1) // streams:,} with the state carried, and in windows of {config.seq_len} from zeros"
)

# %% [markdown]
# ## 5. Generating text
# Feed a priming string, read the probabilities for the next character, pick one, feed it
# back in, repeat. *Temperature* divides the logits before the softmax: below 1 the model
# plays safe (and repeats itself), above 1 it takes risks (and misspells); 0 always takes
# the most likely character (greedy). *Top-k* only ever picks among the k likeliest, after
# renormalising their probabilities. Here both are at work on four made-up scores:


# %%
def check_settings(temperature: float, top_k: int | None) -> None:
    """Raise a one-line ``CourseError`` for a negative temperature or a top-k below 1."""
    if temperature < 0:
        raise CourseError(f"temperature must be 0 (greedy) or more, got {temperature}")
    if top_k is not None and top_k < 1:
        raise CourseError(f"top-k must be 1 or more, got {top_k}")


def top_k_filter(logits, k: int | None) -> np.ndarray:
    """Logits with everything below the k-th largest set to -inf (ties at the k-th are kept)."""
    logits = np.asarray(logits, dtype=np.float64)
    if k is None or k >= logits.shape[-1]:
        return logits
    kth = np.partition(logits, -k)[-k]
    return np.where(logits >= kth, logits, -np.inf)


def probabilities(logits, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """softmax(logits / temperature) after the top-k filter; temperature 0 gives a one-hot argmax."""
    check_settings(temperature, top_k)
    logits = top_k_filter(logits, top_k)
    if temperature == 0:
        probs = np.zeros_like(logits)
        probs[int(np.argmax(logits))] = 1.0
        return probs
    scaled = logits / temperature
    weights = np.exp(scaled - np.max(scaled))  # the largest becomes exp(0) = 1: no overflow at tiny temperatures
    return weights / weights.sum()


def sample(logits, rng: np.random.Generator, temperature: float = 1.0, top_k: int | None = None) -> int:
    """The index of the next token: argmax when temperature is 0, else a draw from ``probabilities``."""
    if temperature == 0:
        check_settings(temperature, top_k)
        return int(np.argmax(logits))
    probs = probabilities(logits, temperature, top_k)
    return int(rng.choice(probs.shape[-1], p=probs))


toy_logits = np.array([2.0, 1.0, 0.5, -1.0])  # scores for the characters 'e', 't', 'a', 'z'
for temperature, top_k in [(1, None), (0.5, None), (2, None), (0, None), (1, 2)]:
    shown = np.round(probabilities(toy_logits, temperature, top_k), 3).tolist()
    print(f"temperature {temperature:<3g} top-k {top_k or '-'}: p(e, t, a, z) = {shown}")

# %% [markdown]
# The generator reads with the batch-1 state-passing twin of section 3: the prime once, then
# one character at a time from the state the last one left. Before training, every character
# is about as likely as any other:


# %%
class Generator:
    """Character-at-a-time sampling with a batch-1 state-passing twin (``stepper(model, spec, batch_size=1)``)."""

    def __init__(self, reader: keras.Model, vocab: list):
        self.model = reader
        self.vocab = vocab
        self.index = {c: i for i, c in enumerate(vocab)}
        self.states = zero_states(self.model)

    def read(self, prime: str) -> np.ndarray:
        """Start afresh, read ``prime`` and return the scores for the character after it."""
        if not prime:
            raise CourseError("the priming string is empty; give at least one character")
        ids = encode(prime, self.index)
        logits, self.states = read_on(self.model, ids[None], zero_states(self.model))
        return logits[0, -1]

    def step(self, char_id: int) -> np.ndarray:
        """Read one more character from the state the last one left; the scores for the next."""
        logits, self.states = read_on(self.model, np.array([[char_id]], dtype=np.int32), self.states)
        return logits[0, -1]

    def generate(
        self, prime: str, length: int, *, temperature: float = 1.0, top_k: int | None = None, seed: int = 0
    ) -> str:
        check_settings(temperature, top_k)
        logits = self.read(prime)
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(length):
            nxt = sample(logits, rng, temperature, top_k)
            out.append(self.vocab[nxt])
            logits = self.step(nxt)
        return "".join(out)


untrained_text = Generator(reader, corpus.vocab).generate(prime, 200, temperature=1.0, seed=config.seed)
print(f"The untrained model, primed with {prime!r}, at temperature 1:\n\n{prime}{untrained_text}")

# %% [markdown]
# ## 6. Training, with a sample and a validation measurement after every epoch
# Adam's step follows a cosine from `lr` down to a tenth of it over the planned `epochs`, and
# clipping the global gradient norm keeps one exploding step from undoing an epoch's work:


# %%
def compile_model(model: keras.Model, learning_rate: float, decay_steps: int, clipnorm: float = 5.0):
    """Adam on a cosine schedule, with the gradient norm clipped; the schedule, to look at."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(decay_steps, 1), alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return schedule


with run.scope():
    schedule = compile_model(model, config.lr, decay_steps=steps * config.epochs)
marks = [0, steps * config.epochs // 2, steps * config.epochs]
print("Adam's step at the start, middle and end of training:", [f"{float(schedule(s)):.1e}" for s in marks])

# %% [markdown]
# After each epoch a callback measures the validation loss both ways (section 4) and writes
# a passage with the current weights at `temperature`; the passages also go to TensorBoard's
# Text tab. Watch spelling come first, then words, then the layout of a play: a speaker's name
# in capitals, a colon, a line break, the speech. Training stops early when another epoch would
# pass `max_minutes`. `run.fit` calls `model.fit` with the run's callbacks (TensorBoard logs, a
# backup after every epoch), so an interrupted run (`--run-dir`) resumes from its last finished
# epoch.


# %%
class EpochReport(keras.callbacks.Callback):
    """After each epoch: validation in nats/bits/perplexity and a text sample."""

    def __init__(self, spec, corpus, config, run):
        super().__init__()
        self.spec, self.corpus, self.config, self.run = spec, corpus, config, run
        self.twins = None  # built after the first epoch, then given each epoch's weights (their predict steps stay)

    def on_epoch_begin(self, epoch, logs=None):
        if self.config.stateful:
            reset_states(self.model)  # each epoch reads every stream again from its start

    def on_epoch_end(self, epoch, logs=None):
        config, logs = self.config, logs if logs is not None else {}
        if self.twins is None:
            stateless = twin(self.model, self.spec, stateful=False)
            carrier = stepper(self.model, self.spec, eval_streams(len(self.corpus.val_ids)))
            self.twins = (stateless, carrier, Generator(stepper(stateless, self.spec, 1), self.corpus.vocab))
        else:
            weights = self.model.get_weights()
            for network in (self.twins[0], self.twins[1], self.twins[2].model):
                network.set_weights(weights)
        logs.update(validation_losses(*self.twins[:2], self.corpus.val_ids, config.seq_len))
        prime = config.prime_text()
        text = self.twins[2].generate(
            prime, config.sample_length, temperature=config.temperature, top_k=config.top_k, seed=config.seed + epoch
        )
        print(
            f"\n--- epoch {epoch + 1}: validation {logs['val_loss']:.3f} nats/char = {logs['val_bpc']:.3f} bits/char, "
            f"perplexity {logs['val_perplexity']:.2f} (fresh-state windows: {logs['val_loss_windows']:.3f} nats) ---"
        )
        print(f"{prime}{text}\n---")
        self.run.log_text("samples", as_markdown(prime + text), step=epoch)


def as_markdown(text: str) -> str:
    return "```\n" + text + "\n```"  # TensorBoard renders text as Markdown; a code block keeps the line breaks


report = EpochReport(spec, corpus, config, run)
fitted = run.fit(model, train_ds, epochs=config.epochs, callbacks=[report, TimeBudget(config.max_minutes)])
history, train_seconds = fitted.history, fitted.seconds
epochs_run = len(history.get("loss", []))
chars_per_second = epochs_run * steps * config.batch_size * config.seq_len / max(train_seconds, 1e-9)
print(f"Trained {epochs_run} epochs in {train_seconds:.0f} s ({chars_per_second:,.0f} characters/s)")
model = twin(model, spec, stateful=False)  # the weights in a stateless network, to save and to study

# %% [markdown]
# ## 7. Validation loss, three ways
# *State carried*: the validation text is read continuously (as a few parallel streams), so
# the model always has everything before the current character to go on; this is how
# char-rnn reports its loss, and the number this lesson records. *Fresh windows*: the text is
# cut into `seq_len` windows that each start from a zero state, as stateless training sees
# it. The gap between the two is what the model gains from context further back than one
# window (a stateful model also loses by being handed zeros it never trained on).
#
# *Fresh windows of 256* is nanoGPT's protocol, measured after training: a Transformer has no
# state to carry and reads windows of 256 characters (its context), predicting every character
# of each from the window alone. nanoGPT estimates that loss on 200 batches of random windows
# from the same held-out last 10%; here the last 10% is tiled with consecutive, non-overlapping
# windows of 256 (the last few characters that do not fill one are left out), each read from a
# zero state, and the loss is averaged over every predicted character: the exact value its
# random sample estimates. It is the number to hold against nanoGPT's published 1.4697.


# %%
def epoch_table(history) -> str:
    rows = [
        "| epoch | train (nats) | validation, state carried (nats) | bits | perplexity "
        "| validation, fresh windows (nats) | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, (train, val, windows) in enumerate(zip(history["loss"], history["val_loss"], history["val_loss_windows"])):
        u = in_units(val)
        seconds = history.get("epoch_time_s", [])
        rows.append(
            f"| {i + 1} | {train:.3f} | {u['nats']:.3f} | {u['bpc']:.3f} | {u['perplexity']:.2f} "
            f"| {windows:.3f} | {f'{seconds[i]:.0f}' if i < len(seconds) else ''} |"
        )
    return "\n".join(rows)


last = {name: values[-1] for name, values in history.items()}  # the last epoch's figures
val = in_units(last["val_loss"])
fresh_256 = windowed_loss(model, corpus.val_ids, NANOGPT_CONTEXT)  # nanoGPT's protocol, tiled exactly
print(
    f"Validation loss (state carried): {val['nats']:.4f} nats/char = {val['bpc']:.4f} bits/char, "
    f"perplexity {val['perplexity']:.3f}; in fresh windows: {last['val_loss_windows']:.4f} nats/char "
    f"(uniform guess: {uniform:.3f})"
)
show(epoch_table(history))
show(
    units_table(
        {
            "validation, state carried": val["nats"],
            f"validation, fresh windows of {config.seq_len}": last["val_loss_windows"],
            f"validation, fresh windows of {NANOGPT_CONTEXT} (nanoGPT's protocol)": fresh_256,
        }
    )
)

# %% [markdown]
# The loss curves: the training loss is the mean over each epoch, the validation losses are
# measured at its end.


# %%
def plot_losses(history):
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, ax = plots.plt.subplots(figsize=(7, 4))
    ax.plot(epochs, history["loss"], "o-", color=plots.PALETTE["train"], label="train (mean over the epoch)")
    ax.plot(epochs, history["val_loss"], "s-", color=plots.PALETTE["val"], label="validation, state carried")
    ax.plot(epochs, history["val_loss_windows"], "s--", color="#7f7f7f", label="validation, fresh state per window")
    ax.set(xlabel="epoch", ylabel="loss (nats per character)", title="Next-character loss", xticks=epochs)
    bits = ax.secondary_yaxis("right", functions=(lambda n: n / math.log(2), lambda b: b * math.log(2)))
    bits.set_ylabel("bits per character")
    ax.legend()
    fig.tight_layout()
    return fig


final = {"val_loss_nats": val["nats"], "val_bpc": val["bpc"], "val_perplexity": val["perplexity"]}
for name, value in final.items():
    run.log_scalar(f"final/{name}", value, step=epochs_run)
loss_curves = show_figure(plot_losses(history), run, "loss_curves.png")

# %% [markdown]
# ## 8. Writing Shakespeare at different temperatures
# First what the model expects right after the prime, and how temperature reshapes those
# probabilities; then a passage at temperature 0 (greedy), 0.5 and 1. Greedy text soon loops;
# at 1 the model samples its own probabilities and invents words.


# %%
def next_char_table(logits, vocab, temperatures=(0.5, 1.0, 2.0), top=6) -> str:
    """The likeliest next characters and their probability at each temperature."""
    probs = {t: probabilities(logits, t) for t in temperatures}
    order = np.argsort(-logits)[:top]
    rows = [
        "| next character | " + " | ".join(f"p at temperature {t:g}" for t in temperatures) + " |",
        "|---|" + "---|" * len(temperatures),
    ]
    for i in order:
        rows.append(f"| {vocab[i]!r} | " + " | ".join(f"{probs[t][i]:.3f}" for t in temperatures) + " |")
    return "\n".join(rows)


generator = Generator(stepper(model, spec, batch_size=1), corpus.vocab)
show(next_char_table(generator.read(prime), corpus.vocab))
samples = {}
for temperature in (0.0, 0.5, 1.0):
    samples[f"{temperature:g}"] = generator.generate(
        prime, config.sample_length, temperature=temperature, top_k=config.top_k, seed=config.seed
    )
    print(f"\nTemperature {temperature:g}:\n{prime}{samples[f'{temperature:g}']}")
    run.log_text(
        f"final_samples/temperature_{temperature:g}", as_markdown(prime + samples[f"{temperature:g}"]), step=epochs_run
    )

# %% [markdown]
# ## 9. Looking inside: which unit tracks what?
# Run the trained network over a long validation passage and record every hidden unit at
# every character. For each feature of the text, correlate it with every unit and keep the
# unit with the largest |r|. First the features, on a two-line example:


# %%
def text_features(text: str) -> dict:
    """Per-character features of ``text`` that a unit might track (constant ones are dropped)."""
    n = len(text)
    speaker_line = np.zeros(n)
    line_position = np.zeros(n)
    line_start = np.zeros(n)
    in_quotes = np.zeros(n)
    in_brackets = np.zeros(n)
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        if line.rstrip().endswith(":"):
            speaker_line[start:end] = 1
        line_position[start:end] = np.arange(len(line))
        line_start[start : min(start + 3, end)] = 1
        start = end + 1  # the newline itself: position 0 of nothing, outside every line
    quote_open, depth = False, 0
    for i, ch in enumerate(text):
        if ch == '"':
            quote_open = not quote_open
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(depth - 1, 0)
        in_quotes[i] = quote_open
        in_brackets[i] = depth > 0
    features = {
        "speaker-name line (ends with ':')": speaker_line,
        "position in the line": line_position,
        "first 3 characters of a line": line_start,
        "inside double quotes": in_quotes,
        "inside brackets": in_brackets,
    }
    return {name: f for name, f in features.items() if f.std() > 0}


toy_text = 'KING:\nSay "go" (now)'
print(" " * 35, " ".join(toy_text.replace("\n", "↵")))
for name, values in text_features(toy_text).items():
    print(f"{name:35}", " ".join(str(int(v) % 10) for v in values))

# %% [markdown]
# To see what a "large" |r| is, the search is repeated with each feature shifted far along the
# text (so it no longer lines up with anything): the best |r| found then is what chance alone
# gives across this many units.


# %%
def correlations(activations: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson r of ``feature`` with every column of ``activations`` (0 for a constant unit)."""
    a = activations - activations.mean(axis=0)
    f = feature - feature.mean()
    denom = np.sqrt((a**2).sum(axis=0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * f[:, None]).sum(axis=0) / denom
    return np.nan_to_num(r)


def search_units(activations: np.ndarray, features: dict, seed: int = 0, shuffles: int = 5) -> list:
    """For each feature: the unit with the largest |r|, r itself, and the best |r| by chance."""
    rng = np.random.default_rng(seed)
    n = len(activations)
    found = []
    for name, feature in features.items():
        r = correlations(activations, feature)
        unit = int(np.argmax(np.abs(r)))
        chance = [
            np.abs(correlations(activations, np.roll(feature, int(rng.integers(n // 4, 3 * n // 4))))).max()
            for _ in range(shuffles)
        ]
        found.append({"feature": name, "unit": unit, "r": float(r[unit]), "chance_abs_r": float(np.mean(chance))})
    return sorted(found, key=lambda f: -abs(f["r"]))


def hidden_activations(model: keras.Model, spec: ModelSpec, ids: np.ndarray) -> tuple:
    """Every recurrent layer's output at every character of ``ids``: (len(ids), layers * units)."""
    names = [recurrent_name(spec, i) for i in range(1, spec.layers + 1)]
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in names])
    outputs = probe.predict_on_batch(ids[None])
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    labels = [f"{n} unit {u}" for n in names for u in range(spec.units)]
    return np.concatenate([o[0] for o in outputs], axis=-1), labels


passage = corpus.val_text[: config.neuron_chars]
activations, unit_labels = hidden_activations(model, spec, corpus.val_ids[: config.neuron_chars])
neurons = search_units(activations, text_features(passage), seed=config.seed)
for found in neurons:
    found["label"] = unit_labels[found["unit"]]
print(f"{activations.shape[1]} hidden units over {len(passage):,} validation characters: the best unit per feature")

# %% [markdown]
# The search as a table and a chart: each feature's best unit against the best |r| by chance.


# %%
def search_table(found: list) -> str:
    rows = ["| text feature | best unit | r | best \\|r\\| by chance |", "|---|---|---|---|"]
    for f in found:
        rows.append(f"| {f['feature']} | {f['label']} | {f['r']:+.3f} | {f['chance_abs_r']:.3f} |")
    return "\n".join(rows)


def plot_search(found: list):
    fig, ax = plots.plt.subplots(figsize=(8, 0.55 * len(found) + 1.5))
    names = [f["feature"] for f in found][::-1]
    ax.barh(names, [abs(f["r"]) for f in found][::-1], color="#2ca02c", label="best unit |r|")
    ax.scatter(
        [f["chance_abs_r"] for f in found][::-1],
        names,
        color="black",
        marker="|",
        s=300,
        zorder=3,
        label="best |r| by chance (feature shifted)",
    )
    for y, f in enumerate(found[::-1]):
        ax.text(abs(f["r"]) + 0.01, y, f"unit {f['unit']}, r = {f['r']:+.2f}", va="center", fontsize=9)
    ax.set(
        xlim=(0, 1.15),
        xlabel="|correlation| with the feature",
        title="Search over hidden units: the best unit per text feature",
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


show(search_table(neurons))
search_figure = show_figure(plot_search(neurons), run, "neuron_search.png")

# %% [markdown]
# The unit found for each of the three strongest features, drawn over a passage one character
# per cell: red where the unit is high, blue where it is low. A unit tracking the position in
# the line changes steadily along each line and jumps back at the line break (↵); one tracking
# speaker names lights up on the capitalised names.


# %%
def display_passage(text: str, length: int) -> tuple:
    """A stretch of ``text`` that starts at a speech (after a blank line) where there is one."""
    start = text.find("\n\n", len(text) // 3)
    start = 0 if start < 0 or start + length > len(text) else start + 2
    return start, text[start : start + length]


def plot_unit(text: str, values: np.ndarray, label: str, feature: str, r: float):
    where = "high (red)" if r > 0 else "low (blue)"
    title = f"{label} vs '{feature}': r = {r:+.2f}, so the unit is {where} where the feature is high"
    return plots.colored_text(text, values, title=title, width=72)


start, shown = display_passage(passage, 400 if config.quick else 900)
for i, found in enumerate(neurons[:3], start=1):
    values = activations[start : start + len(shown), found["unit"]]
    show_figure(plot_unit(shown, values, found["label"], found["feature"], found["r"]), run, f"neuron_{i}.png")

# %% [markdown]
# ## 10. Saving the model and the results
# `model.keras` holds the network; `char_lm.json` beside it holds the vocabulary and the model's
# settings, which `predict` needs to turn characters into ids and back. `metrics.json` records
# the results and the whole configuration above.

# %%
model_path = run.save_model(model)
write_atomic(run.file(CHAR_FILE), json.dumps({"vocab": "".join(corpus.vocab), "spec": asdict(spec)}) + "\n")
results = {**final, "val_loss_windows_nats": last["val_loss_windows"], "val_loss_fresh_256": fresh_256}
results |= dict(train_loss_nats=last["loss"], train_seconds=train_seconds, chars_per_second=chars_per_second)
sizes = dict(vocab_size=len(corpus.vocab), train_chars=len(corpus.train_ids), val_chars=len(corpus.val_ids))
outputs = dict(samples=samples, neurons=neurons, model_path=model_path)
# with the configuration, and the run's own record: epochs_run, seconds_per_epoch, parameters, history
run.write_metrics(results, config, steps_per_epoch=steps, corpus=corpus.name, **sizes, **outputs)
run.finish()

# %% [markdown]
# ## 11. Using the model
# The saved model, loaded again, continues any text made of the characters it knows. The same
# from the command line: `python -m lessons.lesson07_char_lm predict --temperature 0.7 "ROMEO:"`
# (`--top-k`, `--length`, `--seed`, `--model PATH`; the newest run's model by default).


# %%
def load_char_model(path):
    """A saved model with its vocabulary and settings (char_lm.json, beside it)."""
    model = load_model(path, LESSON)
    info_file = Path(path).parent / CHAR_FILE
    info = read_json(info_file, "the characters and settings the model was trained with", keys=("spec", "vocab"))
    try:
        spec = ModelSpec(**info["spec"])
    except TypeError:
        raise CourseError(f"{info_file} is damaged (its model settings are incomplete); train again") from None
    return model, spec, list(info["vocab"])


saved_model, saved_spec, saved_vocab = load_char_model(model_path)
reloaded = Generator(stepper(saved_model, saved_spec, batch_size=1), saved_vocab)
primes = ["ROMEO:\n", "To be, or not to be"] if corpus.name == "tinyshakespeare" else [prime]
for i, start_text in enumerate(primes):
    print(f"{start_text}{reloaded.generate(start_text, 150, temperature=0.7, seed=config.seed + i)}\n")

# %% [markdown]
# How this run compares with published results on tiny Shakespeare. A loss is comparable only
# together with the protocol that produced it: which characters are held out, and how much
# context the model has for each prediction. nanoGPT reports its best evaluation during training
# (this run: its last epoch); char-rnn's number is its checkpoint's file name.


# %%
PUBLISHED = [  # (model, validation loss in nats per character, protocol)
    (
        "nanoGPT, character-level 6-layer Transformer (karpathy/nanoGPT README; one A100, about 3 minutes)",
        1.4697,
        f"fresh windows of {NANOGPT_CONTEXT}, last 10% held out, 200 random batches",
    ),
    (
        "nanoGPT's CPU configuration (4 layers, 128 wide, same README)",
        1.88,
        "fresh windows of 64, last 10% held out, 20 random batches",
    ),
    (
        "char-rnn LSTM, the README's example checkpoint lm_lstm_epoch30.00_1.3950.t7 (karpathy/char-rnn)",
        1.395,
        "state carried; its own split: the last 5% of its minibatch chunks",
    ),
]


def published_table(config, val_nats, fresh_nats, fresh_256) -> str:
    variant = "stateful" if config.stateful else "stateless"
    ours = f"this run: {config.layers} x {config.cell.upper()}({config.units}), {variant}"
    rows = [
        "| model | validation loss (nats/char) | protocol |",
        "|---|---|---|",
        f"| {ours} | {val_nats:.4f} | state carried, last 10% held out |",
        f"| {ours} | {fresh_nats:.4f} | fresh windows of {config.seq_len}, last 10% held out, every window |",
        f"| {ours} | {fresh_256:.4f} | fresh windows of {NANOGPT_CONTEXT}, last 10% held out, every window |",
    ]
    rows += [f"| {name} | {loss:.4f} | {protocol} |" for name, loss, protocol in PUBLISHED]
    return "\n".join(rows)


if config.quick or config.text:
    print(
        f"{'A quick run (120,000 characters)' if config.quick else 'Your own text'}: its numbers are not comparable "
        f"with tiny Shakespeare's published results. Fresh windows of {NANOGPT_CONTEXT}: {fresh_256:.4f} nats/char."
    )
else:
    show(published_table(config, val["nats"], last["val_loss_windows"], fresh_256))

# %% [markdown]
# ## 12. Stateless against stateful, same budget
# `make compare07` (`python -m lessons.lesson07_char_lm compare`) runs this whole lesson twice
# with the same settings and seed, stateless and then stateful, and puts their validation
# curves side by side (`stateless_vs_stateful.png`, `compare.md`). Look at both validation
# numbers: a model trained statefully has learned to lean on the state it is handed, so it
# suffers when each window starts from zeros ("fresh windows"); read continuously, as it was
# trained, it can use context from long before the current window. Whether that beats the
# shuffled stateless windows depends on the budget: measure it rather than assume it.
# Like `--stateful`, the comparison needs the TensorFlow backend; on another it stops at once,
# before training either variant.

# %%
print(
    'Next: try `make lesson07 ARGS="--stateful"` or `--temperature 1.2`, then the exercises: make check EX=ex07'
    "   (stuck? make hint EX=ex07a)"
)
