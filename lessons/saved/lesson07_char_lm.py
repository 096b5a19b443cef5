"""The definitions of lessons/lesson07_char_lm.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
import math
from dataclasses import dataclass
from pathlib import Path
import keras
import numpy as np
import tensorflow as tf
from course_utils import CourseError, cli, data, plots, tfds_source
from course_utils.inputs import read_json, read_text_file
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, SourceOption, WorkersOption, flag
from course_utils.runs import load_model


LESSON = "lesson07_char_lm"


VALIDATION_FRACTION = 0.10


MIN_CHARS = 5_000


MAX_VOCAB = 1_000


MAX_PRIME_CHARS = 10_000  # the model reads a prime one character at a time


SAMPLE_LENGTH = cli.int_between(1, 10_000, "the model writes one character at a time")  # a flag type


QUICK_CHARS = 120_000


CHAR_FILE = "char_lm.json"  # the vocabulary and model settings, saved next to model.keras


NANOGPT_CONTEXT = 256  # nanoGPT's character-level Shakespeare model reads windows of 256 characters


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


def compile_model(model: keras.Model, learning_rate: float, decay_steps: int, clipnorm: float = 5.0):
    """Adam on a cosine schedule, with the gradient norm clipped; the schedule, to look at."""
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(decay_steps, 1), alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return schedule


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


def display_passage(text: str, length: int) -> tuple:
    """A stretch of ``text`` that starts at a speech (after a blank line) where there is one."""
    start = text.find("\n\n", len(text) // 3)
    start = 0 if start < 0 or start + length > len(text) else start + 2
    return start, text[start : start + length]


def plot_unit(text: str, values: np.ndarray, label: str, feature: str, r: float):
    where = "high (red)" if r > 0 else "low (blue)"
    title = f"{label} vs '{feature}': r = {r:+.2f}, so the unit is {where} where the feature is high"
    return plots.colored_text(text, values, title=title, width=72)


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
