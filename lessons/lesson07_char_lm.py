"""Lesson 07: a character-level language model, and what its neurons learn.

What you will see:
1. A recurrent network reads 1,003,854 characters of Shakespeare (the last 10% are kept
   back for validation) and learns to predict the next character: embedding -> GRU (or
   LSTM, or a plain RNN) -> softmax over the 65 characters. It is trained on fixed-length
   windows with truncated backpropagation through time and gradient clipping.
2. After every epoch the model writes new Shakespeare one character at a time: printed
   here and saved to TensorBoard (TEXT tab), so you can watch spelling, then words, then
   the layout of a play (names, colons, line breaks) appear.
3. Validation loss in nats per character, in bits per character and as perplexity,
   measured two ways: reading the validation text continuously (the state carried along,
   as char-rnn measures it) and in separate windows that each start from a blank state.
4. A look inside: every hidden unit is correlated with features of the text (is this a
   speaker's-name line? how far along the line are we?) and the best unit for each is
   drawn over a passage as coloured text, as in Karpathy's "The Unreasonable
   Effectiveness of Recurrent Neural Networks" (neuron_*.png).

Run it:   make lesson07            (about 4 minutes on 2 CPU cores)
Options:  --cell lstm, --stateful, --temperature 0.5, --text my_book.txt, --quick
Compare:  python -m lessons.lesson07_char_lm compare     (stateless against stateful training)
Predict:  python -m lessons.lesson07_char_lm predict --temperature 0.8 "ROMEO:" "To be"
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, data, plots, sampling
from course_utils.repro import set_seed
from course_utils.runs import Run, TimeBudget, load_model, newest_model

LESSON = "lesson07_char_lm"
VALIDATION_FRACTION = 0.10
MIN_CHARS = 5_000
MAX_VOCAB = 1_000
QUICK_CHARS = 120_000
CHAR_FILE = "char_lm.json"  # the vocabulary and model settings, saved next to model.keras

# %% [markdown]
# ## 1. Text in, integers out
# The vocabulary is every distinct character of the corpus; each character becomes its
# index. The split is contiguous: the first 90% trains, the last 10% validates. A random
# split would put near-copies of every validation line (the same speech, a few characters
# further on) into the training windows and make the validation loss look better than it is.


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


def read_user_text(path: str) -> str:
    """A learner's own UTF-8 text file, with a one-line error for anything that would not train."""
    file = Path(path)
    if not file.is_file():
        raise CourseError(f"text file {path} does not exist")
    raw = file.read_bytes()
    if not raw.strip():
        raise CourseError(f"{path} is empty; give a UTF-8 text file of at least {MIN_CHARS:,} characters")
    if b"\x00" in raw[:65536]:
        raise CourseError(f"{path} looks binary (it contains NUL bytes); give a UTF-8 text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise CourseError(f"{path} is not UTF-8 text (bad byte at position {err.start}); save it as UTF-8") from None
    if len(text) < MIN_CHARS:
        raise CourseError(f"{path} has only {len(text):,} characters; a language model needs at least {MIN_CHARS:,}")
    distinct = len(set(text))
    if distinct > MAX_VOCAB:
        raise CourseError(f"{path} has {distinct:,} distinct characters (more than {MAX_VOCAB:,}); is it really text?")
    return text


def load_corpus(text_file: str | None, quick: bool) -> Corpus:
    if text_file:
        name, text = Path(text_file).name, read_user_text(text_file)
    else:
        name, text = "tinyshakespeare", data.read_text("tinyshakespeare")
    vocab = sorted(set(text))
    if quick:
        text = text[:QUICK_CHARS]  # the vocabulary stays the full one, so a quick model can read any prime
    ids = encode(text, {c: i for i, c in enumerate(vocab)})
    split = int(len(ids) * (1 - VALIDATION_FRACTION))
    return Corpus(name, text, vocab, ids[:split], ids[split:])


def encode(text: str, index: dict) -> np.ndarray:
    unknown = sorted({c for c in text if c not in index})
    if unknown:
        shown = "".join(unknown[:20]).replace("\n", "\\n")
        raise CourseError(f"{text[:40]!r} has characters the model never saw: {shown!r}")
    return np.array([index[c] for c in text], dtype=np.int32)


# %% [markdown]
# ## 2. Windows and truncated backpropagation through time
# Backpropagating through a million steps is impossible, so the text is cut into windows
# of `seq_len` characters (inputs) and the same window shifted by one (targets). Gradients
# flow back at most `seq_len` steps: that is *truncated* BPTT.
#
# **Stateless** training shuffles the windows and starts every one from a zero hidden
# state: the model can never use more than `seq_len` characters of context.
#
# **Stateful** training (char-rnn's way) cuts the text into `batch_size` long streams and
# feeds each stream's windows in order, carrying the hidden state from one window into
# the next (gradients still stop at the window edge). Row r of batch k+1 continues row r
# of batch k, so nothing may be shuffled, and the state is reset at each epoch's start.
# On the very first window both variants see a zero state and compute the same loss.


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


# %% [markdown]
# ## 3. The model
# Embedding (a learned vector per character) -> `layers` recurrent layers -> a Dense layer
# giving one score (logit) per character; softmax turns the scores into probabilities.
# The same weights can be loaded into a *stateful* twin with a fixed batch size: that twin
# trains statefully, reads the validation text continuously, and generates one character
# at a time (batch 1) without re-reading its whole past at each step.


# %%
@dataclass
class ModelSpec:
    vocab_size: int
    cell: str = "gru"
    units: int = 256
    layers: int = 1
    embed_dim: int = 64
    dropout: float = 0.0


RECURRENT = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def build_model(spec: ModelSpec, stateful: bool = False, batch_size: int | None = None) -> keras.Model:
    if stateful and batch_size is None:
        raise ValueError("a stateful model needs a fixed batch size")
    inputs = keras.Input(batch_shape=(batch_size, None), dtype="int32", name="chars")
    x = keras.layers.Embedding(spec.vocab_size, spec.embed_dim, name="embedding")(inputs)
    for i in range(1, spec.layers + 1):
        x = RECURRENT[spec.cell](spec.units, return_sequences=True, stateful=stateful, name=recurrent_name(spec, i))(x)
        if spec.dropout:
            x = keras.layers.Dropout(spec.dropout, name=f"dropout_{i}")(x)
    logits = keras.layers.Dense(spec.vocab_size, name="next_char_logits")(x)
    return keras.Model(inputs, logits, name=f"char_{spec.cell}{'_stateful' if stateful else ''}")


def recurrent_name(spec: ModelSpec, layer: int) -> str:
    return f"{spec.cell}_{layer}"


def compile_model(model: keras.Model, learning_rate: float, decay_steps: int, clipnorm: float = 5.0) -> None:
    # Clipping the global gradient norm keeps one exploding step from undoing an epoch's work.
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, max(decay_steps, 1), alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=clipnorm),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )


def twin(model: keras.Model, spec: ModelSpec, stateful: bool, batch_size: int | None = None) -> keras.Model:
    """The same network built again (stateless, or stateful with a fixed batch) with ``model``'s weights."""
    copy = build_model(spec, stateful=stateful, batch_size=batch_size)
    copy.set_weights(model.get_weights())
    return copy


def reset_states(model: keras.Model) -> None:
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_state()


# %% [markdown]
# ## 4. Measuring: nats, bits and perplexity
# The loss is the average negative log-probability of the true next character, in nats
# (natural log). Divide by ln 2 for bits per character; exp(loss) is the perplexity, the
# number of equally likely characters the model is, on average, choosing among. Guessing
# uniformly among 65 characters scores ln 65 = 4.17 nats.


# %%
def nll_sum(logits: np.ndarray, targets: np.ndarray) -> float:
    logits = logits.astype(np.float64)
    top = logits.max(axis=-1, keepdims=True)
    log_norm = np.log(np.exp(logits - top).sum(axis=-1)) + top[..., 0]
    picked = np.take_along_axis(logits, targets[..., None].astype(np.int64), axis=-1)[..., 0]
    return float((log_norm - picked).sum())


def eval_streams(n_chars: int, most: int = 16) -> int:
    """How many parallel streams to read a text of ``n_chars`` as (at least 100 characters each)."""
    return max(1, min(most, (n_chars - 1) // 100))


def carried_state_loss(stateful_model: keras.Model, ids: np.ndarray, chunk: int = 250) -> float:
    """Mean loss reading ``ids`` as parallel streams with the state carried (char-rnn's evaluation)."""
    streams = stateful_model.inputs[0].shape[0]
    chunk = max(1, min(chunk, (len(ids) - 1) // streams))
    x, y = stream_batches(ids, chunk, streams)
    reset_states(stateful_model)
    total = sum(nll_sum(stateful_model.predict_on_batch(xb), yb) for xb, yb in zip(x, y))
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


def in_units(nats: float) -> dict:
    return {"nats": nats, "bpc": nats / math.log(2), "perplexity": math.exp(nats)}


# %% [markdown]
# ## 5. Generating text
# Feed a priming string, read the probabilities for the next character, pick one, feed it
# back in, repeat. *Temperature* divides the logits before the softmax: below 1 the model
# plays safe (and repeats itself), above 1 it takes risks (and misspells); 0 always takes
# the most likely character (greedy). *Top-k* only ever picks among the k likeliest.


# %%
class Generator:
    """Character-at-a-time sampling from a batch-1 stateful twin of a trained model."""

    def __init__(self, model: keras.Model, spec: ModelSpec, vocab: list):
        self.model = twin(model, spec, stateful=True, batch_size=1)
        self.vocab = vocab
        self.index = {c: i for i, c in enumerate(vocab)}

    def generate(
        self, prime: str, length: int, *, temperature: float = 1.0, top_k: int | None = None, seed: int = 0
    ) -> str:
        sampling.check_settings(temperature, top_k)
        if not prime:
            raise CourseError("the priming string is empty; give at least one character")
        ids = encode(prime, self.index)
        rng = np.random.default_rng(seed)
        reset_states(self.model)
        logits = self.model.predict_on_batch(ids[None])[0, -1]
        out = []
        for _ in range(length):
            nxt = sampling.sample(logits, rng, temperature, top_k)
            out.append(self.vocab[nxt])
            logits = self.model.predict_on_batch(np.array([[nxt]], dtype=np.int32))[0, -1]
        return "".join(out)


# %% [markdown]
# ## 6. Looking inside: which unit tracks what?
# Run the trained network over a long validation passage and record every hidden unit at
# every character. For each feature of the text, correlate it with every unit and keep the
# unit with the largest |r|. To see what "large" means, the same search is repeated with
# the feature shifted far along the text (so it no longer lines up with anything): the
# best |r| found then is what chance alone gives across this many units.


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


def display_passage(text: str, length: int) -> tuple:
    """A stretch of ``text`` that starts at a speech (after a blank line) where there is one."""
    start = text.find("\n\n", len(text) // 3)
    start = 0 if start < 0 or start + length > len(text) else start + 2
    return start, text[start : start + length]


def plot_unit(text: str, values: np.ndarray, label: str, feature: str, r: float):
    where = "high (red)" if r > 0 else "low (blue)"
    title = f"{label} vs '{feature}': r = {r:+.2f}, so the unit is {where} where the feature is high"
    return plots.colored_text(text, values, title=title, width=72)


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


# %% [markdown]
# ## 7. Training, with a sample and a validation measurement after every epoch


# %%
class EpochReport(keras.callbacks.Callback):
    """After each epoch: validation in nats/bits/perplexity and a text sample."""

    def __init__(self, spec, corpus, args, run, stateful):
        super().__init__()
        self.spec, self.corpus, self.args, self.run, self.stateful = spec, corpus, args, run, stateful
        self.last = {}

    def on_epoch_begin(self, epoch, logs=None):
        if self.stateful:
            reset_states(self.model)  # each epoch reads every stream again from its start

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        stateless = twin(self.model, self.spec, stateful=False)
        carried = in_units(
            carried_state_loss(
                twin(self.model, self.spec, True, eval_streams(len(self.corpus.val_ids))), self.corpus.val_ids
            )
        )
        windows = windowed_loss(stateless, self.corpus.val_ids, self.args.seq_len)
        logs.update(
            {
                "val_loss": carried["nats"],
                "val_bpc": carried["bpc"],
                "val_perplexity": carried["perplexity"],
                "val_loss_windows": windows,
            }
        )
        sample = Generator(stateless, self.spec, self.corpus.vocab).generate(
            self.args.prime,
            self.args.sample_length,
            temperature=self.args.temperature,
            top_k=self.args.top_k,
            seed=self.args.seed + epoch,
        )
        print(
            f"\n--- epoch {epoch + 1}: validation {carried['nats']:.3f} nats/char = {carried['bpc']:.3f} bits/char, "
            f"perplexity {carried['perplexity']:.2f} (fresh-state windows: {windows:.3f} nats) ---"
        )
        print(f"{self.args.prime}{sample}\n---")
        self.run.log_text("samples", as_markdown(self.args.prime + sample), step=epoch)
        self.last = {"epoch": epoch + 1, "sample": sample, **logs}


def as_markdown(text: str) -> str:
    return "```\n" + text + "\n```"  # TensorBoard renders text as Markdown; a code block keeps the line breaks


def apply_quick(args) -> None:
    if args.quick:
        args.epochs = min(args.epochs, 2)
        args.units = min(args.units, 96)
        args.layers = 1
        args.seq_len = min(args.seq_len, 64)
        args.batch_size = min(args.batch_size, 32)
        args.sample_length = min(args.sample_length, 120)
        args.max_minutes = 0
        args.neuron_chars = min(args.neuron_chars, 4_000)


def fit_model(args, corpus, run, stateful: bool):
    spec = ModelSpec(len(corpus.vocab), args.cell, args.units, args.layers, args.embed_dim, args.dropout)
    if stateful:
        model = build_model(spec, stateful=True, batch_size=args.batch_size)
        train_ds = stateful_windows(corpus.train_ids, args.seq_len, args.batch_size)
    else:
        model = build_model(spec)
        train_ds = stateless_windows(corpus.train_ids, args.seq_len, args.batch_size, seed=args.seed)
    steps = int(train_ds.cardinality())
    if steps < 1:
        raise CourseError(f"the training text is too short for one batch of {args.batch_size} x {args.seq_len}")
    compile_model(model, args.lr, decay_steps=steps * args.epochs)
    report = EpochReport(spec, corpus, args, run, stateful)
    callbacks = run.callbacks()
    callbacks[1:1] = [report, TimeBudget(args.max_minutes)]  # before TensorBoard: it logs what report adds
    t0 = time.time()
    history = model.fit(train_ds, epochs=args.epochs, callbacks=callbacks, verbose=2)
    seconds = time.time() - t0
    epochs_run = len(history.history.get("loss", []))
    speed = {
        "train_seconds": seconds,
        "steps_per_epoch": steps,
        "chars_per_second": epochs_run * steps * args.batch_size * args.seq_len / max(seconds, 1e-9),
    }
    return twin(model, spec, stateful=False), spec, history.history, report.last, speed


def train(args, *, stateful=None, run=None, look_inside=True):
    set_seed(args.seed)
    apply_quick(args)
    stateful = args.stateful if stateful is None else stateful
    args.prime = args.prime.replace("\\n", "\n")  # a typed "\n" means a line break
    sampling.check_settings(args.temperature, args.top_k)
    corpus = load_corpus(args.text, args.quick)
    encode(args.prime, {c: i for i, c in enumerate(corpus.vocab)})  # an unusable prime fails before training
    if len(corpus.val_ids) <= args.seq_len:
        raise CourseError(
            f"the validation part (last 10%) has {len(corpus.val_ids)} characters, not enough for one window of "
            f"{args.seq_len}; use a longer text or a smaller --seq-len"
        )
    run = run or Run.start(LESSON, cell=args.cell, run_dir=args.run_dir)
    variant = "stateful (state carried across windows)" if stateful else "stateless (zero state per window)"
    print(f"Lesson 07: a character-level language model on {corpus.name}. Outputs go to {run.path}")
    print(
        f"{len(corpus.train_ids):,} training / {len(corpus.val_ids):,} validation characters, "
        f"{len(corpus.vocab)} distinct; {args.layers} x {args.cell.upper()}({args.units}), "
        f"windows of {args.seq_len}, batch {args.batch_size}, {variant}\n"
    )

    model, spec, history, last, speed = fit_model(args, corpus, run, stateful)
    print(
        f"Trained {len(history['loss'])} epochs in {speed['train_seconds']:.0f} s "
        f"({speed['chars_per_second']:,.0f} characters/s)"
    )
    model_path = run.save_model(model)
    (run.path / CHAR_FILE).write_text(json.dumps({"vocab": "".join(corpus.vocab), "spec": asdict(spec)}) + "\n")

    generator = Generator(model, spec, corpus.vocab)
    samples = {}
    for temperature in (0.0, 0.5, 1.0):
        samples[f"{temperature:g}"] = generator.generate(
            args.prime, args.sample_length, temperature=temperature, top_k=args.top_k, seed=args.seed
        )
        print(f"\nTemperature {temperature:g}:\n{args.prime}{samples[f'{temperature:g}']}")
        run.log_text(
            f"final_samples/temperature_{temperature:g}",
            as_markdown(args.prime + samples[f"{temperature:g}"]),
            step=len(history["loss"]),
        )
    run.save_figure(plot_losses(history), "loss_curves.png")

    neurons = look_inside_units(model, spec, corpus, args, run) if look_inside else []
    val = in_units(last["val_loss"])
    metrics = {
        "val_loss_nats": val["nats"],
        "val_bpc": val["bpc"],
        "val_perplexity": val["perplexity"],
        "val_loss_windows_nats": last["val_loss_windows"],
        "train_loss_nats": history["loss"][-1],
        "epochs_run": len(history["loss"]),
        **speed,
        "stateful": stateful,
        "cell": args.cell,
        "units": args.units,
        "layers": args.layers,
        "seq_len": args.seq_len,
        "batch_size": args.batch_size,
        "dropout": args.dropout,
        "parameters": model.count_params(),
        "corpus": corpus.name,
        "vocab_size": len(corpus.vocab),
        "train_chars": len(corpus.train_ids),
        "val_chars": len(corpus.val_ids),
        "samples": samples,
        "neurons": neurons,
        "model_path": model_path,
    }
    for name, value in (("val_loss_nats", val["nats"]), ("val_bpc", val["bpc"]), ("val_perplexity", val["perplexity"])):
        run.log_scalar(f"final/{name}", value, step=len(history["loss"]))
    run.write_metrics(metrics, epochs=args.epochs, seed=args.seed, quick=args.quick, history=history)
    return run, metrics


def look_inside_units(model, spec, corpus, args, run) -> list:
    passage = corpus.val_text[: args.neuron_chars]
    activations, labels = hidden_activations(model, spec, corpus.val_ids[: args.neuron_chars])
    features = text_features(passage)
    found = search_units(activations, features, seed=args.seed)
    print(f"\nLooking inside: {activations.shape[1]} hidden units over {len(passage):,} validation characters")
    for f in found:
        f["label"] = labels[f["unit"]]
        print(
            f"  {f['feature']:<36} best: {f['label']:<16} r = {f['r']:+.3f}   (chance: |r| ~ {f['chance_abs_r']:.3f})"
        )
    run.save_figure(plot_search(found), "neuron_search.png")
    start, shown = display_passage(passage, 900 if not args.quick else 400)
    for i, f in enumerate(found[:3], start=1):
        values = activations[start : start + len(shown), f["unit"]]
        run.save_figure(plot_unit(shown, values, f["label"], f["feature"], f["r"]), f"neuron_{i}.png")
    return found


def plot_losses(history):
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, ax = plots.plt.subplots(figsize=(7, 4))
    ax.plot(epochs, history["loss"], "o-", color=plots.PALETTE["train"], label="train (mean over the epoch)")
    ax.plot(epochs, history["val_loss"], "s-", color=plots.PALETTE["val"], label="validation, state carried")
    ax.plot(epochs, history["val_loss_windows"], "s--", color="#7f7f7f", label="validation, fresh state per window")
    ax.set(xlabel="epoch", ylabel="loss (nats per character)", title="Next-character loss")
    ax.xaxis.get_major_locator().set_params(integer=True)
    bits = ax.secondary_yaxis("right", functions=(lambda n: n / math.log(2), lambda b: b * math.log(2)))
    bits.set_ylabel("bits per character")
    ax.legend()
    fig.tight_layout()
    return fig


def train_cli(args):
    run, metrics = train(args)
    run.finish()
    prime = "KING RICHARD:" if metrics["corpus"] == "tinyshakespeare" else "The"
    print(f'\nTry: python -m lessons.lesson07_char_lm predict --temperature 0.7 "{prime}"')
    print("Next: the exercises for this lesson: make check EX=ex07   (stuck? make hint EX=ex07a)")
    return run


# %% [markdown]
# ## 8. Stateless against stateful, same budget
# `compare` trains both variants with the same settings and seed and puts their
# validation curves side by side. Look at both validation numbers: a model trained
# statefully has learned to lean on the state it is handed, so it suffers when each
# window starts from zeros ("fresh windows"); read continuously, as it was trained, it
# can use context from long before the current window. Whether that beats the shuffled
# stateless windows depends on the budget: measure it rather than assume it.


# %%
def compare(args):
    set_seed(args.seed)
    apply_quick(args)
    parent = Run.start(LESSON, cell=f"{args.cell}-compare", run_dir=args.run_dir)
    results, histories = {}, {}
    for stateful in (False, True):
        name = "stateful" if stateful else "stateless"
        print(f"\n===== {name} training =====")
        child = Run.start(LESSON, cell=args.cell, run_dir=parent.path / name)
        _, metrics = train(args, stateful=stateful, run=child, look_inside=False)
        child.finish()
        results[name] = {
            k: metrics[k]
            for k in (
                "val_loss_nats",
                "val_bpc",
                "val_loss_windows_nats",
                "train_loss_nats",
                "epochs_run",
                "train_seconds",
            )
        }
        histories[name] = metrics_history(child)
    parent.save_figure(plot_compare(histories), "stateless_vs_stateful.png")
    print("\n              val (state carried)   val (fresh windows)   train    seconds")
    for name, r in results.items():
        print(
            f"  {name:<10}  {r['val_loss_nats']:.3f} nats {r['val_bpc']:.3f} bpc   "
            f"{r['val_loss_windows_nats']:.3f} nats           {r['train_loss_nats']:.3f}   {r['train_seconds']:.0f}"
        )
    flat = {f"{name}_{k}": v for name, r in results.items() for k, v in r.items()}
    parent.write_metrics(flat, epochs=args.epochs, seed=args.seed, quick=args.quick)
    parent.finish()
    return parent


def metrics_history(run) -> dict:
    return json.loads((run.path / "metrics.json").read_text())["history"]


def plot_compare(histories):
    fig, ax = plots.plt.subplots(figsize=(7, 4))
    for name, color in (("stateless", "#1f77b4"), ("stateful", "#d62728")):
        h = histories[name]
        epochs = np.arange(1, len(h["val_loss"]) + 1)
        ax.plot(epochs, h["val_loss"], "o-", color=color, label=f"{name}: validation, state carried")
        ax.plot(
            epochs, h["val_loss_windows"], "s--", color=color, alpha=0.6, label=f"{name}: validation, fresh windows"
        )
    ax.set(xlabel="epoch", ylabel="loss (nats per character)", title="Stateless vs stateful training")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# %% [markdown]
# ## Predicting from the command line


# %%
def load_char_model(path):
    model = load_model(path, LESSON)
    info_file = Path(path).parent / CHAR_FILE
    if not info_file.is_file():
        raise CourseError(f"{info_file} is missing; training writes it next to the model")
    info = json.loads(info_file.read_text())
    return model, ModelSpec(**info["spec"]), list(info["vocab"])


def predict(args):
    if not args.inputs:
        raise CourseError('give one or more priming strings, e.g.: predict "ROMEO:" "To be"')
    path = args.model or newest_model(LESSON)
    model, spec, vocab = load_char_model(path)
    generator = Generator(model, spec, vocab)
    for i, prime in enumerate(args.inputs):
        prime = prime.replace("\\n", "\n")
        text = generator.generate(
            prime, args.length, temperature=args.temperature, top_k=args.top_k, seed=args.seed + i
        )
        print(f"{prime}{text}\n")


BENCHMARKS = [
    {
        "name": "default",
        "args": [],
        "report": ["val_loss_nats", "val_bpc", "val_perplexity", "epochs_run", "chars_per_second"],
        "target": "readable samples, <= 300 s",
    },
    {
        "name": "gru512-stateful-15min",
        # --epochs sized to the budget (about 87 s each on 2 cores), so the cosine schedule decays fully
        "args": ["--units", "512", "--dropout", "0.25", "--stateful", "--epochs", "9", "--max-minutes", "14"],
        "report": [
            "val_loss_nats",
            "val_bpc",
            "val_perplexity",
            "val_loss_windows_nats",
            "epochs_run",
            "chars_per_second",
        ],
        "target": "val_loss_nats <= 1.50, <= 900 s",
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
]


def add_model_flags(parser) -> None:
    parser.add_argument(
        "--text", default=None, metavar="FILE", help="train on your own UTF-8 text file instead of tiny Shakespeare"
    )
    parser.add_argument("--units", type=cli.positive_int, default=256, help="units per recurrent layer (default 256)")
    parser.add_argument("--layers", type=cli.positive_int, default=1, help="stacked recurrent layers (default 1)")
    parser.add_argument("--embed-dim", type=cli.positive_int, default=64, help="character embedding size (default 64)")
    parser.add_argument(
        "--seq-len", type=cli.positive_int, default=64, help="window length: how far back gradients flow (default 64)"
    )
    parser.add_argument("--dropout", type=cli.fraction, default=0.0, help="dropout after each layer (default 0)")
    parser.add_argument(
        "--lr", type=cli.positive_float, default=3e-3, help="Adam learning rate, cosine-decayed (default 3e-3)"
    )
    parser.add_argument("--stateful", action="store_true", help="carry the hidden state across consecutive windows")
    parser.add_argument(
        "--temperature", type=cli.non_negative_float, default=0.8, help="sampling temperature (default 0.8)"
    )
    parser.add_argument("--top-k", type=cli.positive_int, default=None, help="sample only among the k likeliest")
    parser.add_argument(
        "--prime", default="\n", help="text to start each sample with, \\n = new line (default: a new line)"
    )
    parser.add_argument(
        "--sample-length", type=cli.positive_int, default=400, help="characters per sample (default 400)"
    )
    parser.add_argument(
        "--neuron-chars",
        type=cli.positive_int,
        default=20_000,
        help="validation characters the unit search reads (default 20000)",
    )
    parser.add_argument(
        "--max-minutes",
        type=cli.non_negative_float,
        default=4.0,
        help="stop after the epoch that would overrun this many minutes of training; 0 = no limit (default 4)",
    )


def run(argv=None):
    import sys

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = cli.train_parser(LESSON, __doc__.splitlines()[0], epochs=8, batch_size=64, cell="gru")
    add_model_flags(parser)
    predict_args = cli.predict_parser(LESSON, "priming text; the model continues it (\\n = new line)")
    predict_args.add_argument(
        "--temperature",
        type=cli.non_negative_float,
        default=0.8,
        help="0 = greedy, below 1 safer, above 1 wilder (default 0.8)",
    )
    predict_args.add_argument("--top-k", type=cli.positive_int, default=None, help="sample only among the k likeliest")
    predict_args.add_argument(
        "--length", type=cli.positive_int, default=300, help="characters to generate (default 300)"
    )
    predict_args.add_argument("--seed", type=cli.non_negative_int, default=0, help="sampling seed (default 0)")
    if argv and argv[0] == "compare":
        parser.prog += " compare"
        return cli.run_cli(argv[1:], train=compare, parser=parser)
    return cli.run_cli(argv, train=train_cli, parser=parser, predict=predict, predict_args=predict_args)


if __name__ == "__main__":
    cli.main(run)
