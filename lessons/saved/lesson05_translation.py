"""The definitions of lessons/lesson05_translation.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
import re
import time
import unicodedata
from dataclasses import dataclass
import keras
import numpy as np
import tensorflow as tf
from course_utils import CourseError, cli, data, plots
from course_utils.bleu import reference_streams
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, flag
from course_utils.progress import progress
from course_utils.runs import Run, TimeBudget
from course_utils.text import bucketed_batches


LESSON = "lesson05_translation"


SETTINGS_FILE = "translation.json"  # vocabularies and model settings, saved next to the models


START = "[start]"  # the decoder's first input


END = "[end]"  # what the decoder writes when the sentence is done


VALIDATION_FRACTION = 0.05


TEST_FRACTION = 0.10


QUICK_SOURCES = 4000  # English sentences the quick configuration keeps (a full run keeps them all)


MODEL_FILES = {"plain": "model_plain.keras", "attention": "model.keras"}


SHOWCASE = ["I am cold.", "Where is the station?", "She doesn't like cats.", "We have to go home now."]


@dataclass
class Config(LessonConfig):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(10, "training epochs", type=cli.positive_int)
    batch_size: int = flag(128, "batch size", type=cli.batch_size)
    models: str = flag("both", "plain encoder-decoder, with attention, or both", choices=("both", "plain", "attention"))
    score: str = flag("additive", "attention score: additive (Bahdanau) or dot (Luong)", choices=("dot", "additive"))
    bidirectional: bool = flag(False, "a bidirectional encoder")
    units: int = flag(128, "recurrent units", type=cli.layer_size)
    dropout: float = flag(0.0, "dropout on word vectors and decoder outputs", type=cli.fraction)
    embed_dim: int = flag(64, "word vector size", type=cli.layer_size)
    max_words: int = flag(6, "keep pairs whose sentences have at most this many words", type=cli.positive_int)
    source_vocab: int = flag(5000, "English words kept", type=cli.int_between(3, 1_000_000, "more than the data has"))
    target_vocab: int = flag(
        6000, "French words kept, with [start] and [end]", type=cli.int_between(10, 1_000_000, "more than the data has")
    )
    lr: float = flag(6e-3, "Adam learning rate", type=cli.learning_rate)
    beam: int = flag(4, "beam width for the BLEU table", type=cli.beam_width)
    alpha: float = flag(0.6, "beam length normalisation", type=cli.length_penalty)
    test_sentences: int = flag(1000, "test sentences scored (0 = all)", type=cli.non_negative_int)
    max_minutes: float = flag(3.5, "training minutes per model (0 = no limit)", type=cli.non_negative_float)

    QUICK = {"epochs": 3, "batch_size": 64, "units": 64, "embed_dim": 32, "max_words": 5}
    QUICK |= {"source_vocab": 2000, "target_vocab": 3000, "test_sentences": 150, "max_minutes": 0}

    def __post_init__(self):
        if self.beam < 2:
            raise CourseError("--beam must be at least 2 (the table always includes greedy decoding, which is beam 1)")

    def kinds(self) -> list[str]:
        return ["plain", "attention"] if self.models == "both" else [self.models]


SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")


def normalise(text: str) -> str:
    """NFC, one kind of space, one kind of apostrophe. Case and punctuation are kept."""
    text = unicodedata.normalize("NFC", text).replace("\u200b", "")
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    return SPACES.sub(" ", text).strip()


@keras.saving.register_keras_serializable(package="course_lesson05")
def standardize(text):
    """Lower case (accents kept) and punctuation as separate tokens; inputs are already normalised."""
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, r'([.,!?;:«»"()])', r" \1 ")
    return tf.strings.strip(tf.strings.regex_replace(text, r"[\s\x{00a0}\x{2009}\x{202f}]+", " "))


def read_pairs(max_words: int) -> list[tuple[str, str]]:
    folder = data.extract("anki_fra_eng")
    path = folder / "fra.txt"
    if not path.is_file():
        raise CourseError(f"{path} is missing from the fra-eng.zip archive; download it again")
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2:
            continue
        english, french = normalise(parts[0]), normalise(parts[1])
        if english and french and len(english.split()) <= max_words and len(french.split()) <= max_words:
            pairs.append((english, french))
    if len(pairs) < 1000:
        raise CourseError(f"{path} gave only {len(pairs)} sentence pairs; is it the right file?")
    return pairs


@dataclass
class Split:
    sources: list  # unique English sentences
    references: list  # for each, every French translation in the data

    def pairs(self):
        return [(s, r) for s, refs in zip(self.sources, self.references) for r in refs]


def split_by_source(pairs, seed: int, limit: int | None = None) -> tuple[Split, Split, Split]:
    """Group translations by English sentence, then split the *sentences* into train/validation/test."""
    grouped: dict[str, list[str]] = {}
    for english, french in pairs:
        grouped.setdefault(english, []).append(french)
    sources = sorted(grouped)
    np.random.default_rng(seed).shuffle(sources)
    if limit:
        sources = sources[:limit]
    n_val = max(1, int(len(sources) * VALIDATION_FRACTION))
    n_test = max(1, int(len(sources) * TEST_FRACTION))
    parts = sources[n_val + n_test :], sources[:n_val], sources[n_val : n_val + n_test]
    return tuple(Split(list(p), [grouped[s] for s in p]) for p in parts)


def fit_vocabulary(texts, max_tokens: int) -> list[str]:
    layer = keras.layers.TextVectorization(max_tokens=max_tokens, standardize=standardize)
    layer.adapt(tf.data.Dataset.from_tensor_slices(list(texts)).batch(2048))
    return layer.get_vocabulary()


class Vocab:
    """Both vocabularies, turning sentences into padded id arrays and ids back into text."""

    def __init__(self, source_words: list[str], target_words: list[str]):
        self.source_words, self.target_words = [str(w) for w in source_words], [str(w) for w in target_words]
        self.source = keras.layers.TextVectorization(standardize=standardize, vocabulary=self.source_words[2:])
        self.target = keras.layers.TextVectorization(standardize=standardize, vocabulary=self.target_words[2:])
        self.start_id, self.end_id = self.target_words.index(START), self.target_words.index(END)

    @classmethod
    def fit(cls, train: Split, source_tokens: int, target_tokens: int) -> "Vocab":
        french = [f"{START} {t} {END}" for refs in train.references for t in refs]
        return cls(fit_vocabulary(train.sources, source_tokens), fit_vocabulary(french, target_tokens))

    def encode_source(self, texts) -> np.ndarray:
        return _ids(self.source, [normalise(t) for t in texts])

    def encode_target(self, texts) -> np.ndarray:
        return _ids(self.target, [f"{START} {normalise(t)} {END}" for t in texts])

    def words(self, ids) -> list[str]:
        return [self.target_words[i] for i in ids]

    def detokenize(self, ids) -> str:
        """French text from ids: words joined by spaces, no space before . and , ."""
        return re.sub(r" ([.,])", r"\1", " ".join(self.words(ids)))

    def source_tokens(self, text: str) -> list[str]:
        return [self.source_words[i] for i in self.encode_source([text])[0] if i]


def _ids(layer, texts, batch: int = 4096) -> np.ndarray:
    # convert_to_numpy: on the JAX and PyTorch backends TextVectorization returns that backend's arrays
    parts = [layer(tf.constant(texts[i : i + batch])) for i in range(0, len(texts), batch)]
    parts = [keras.ops.convert_to_numpy(p) for p in parts]
    width = max(p.shape[1] for p in parts)
    return np.concatenate([np.pad(p, ((0, 0), (0, width - p.shape[1]))) for p in parts]).astype("int32")


def teacher_forcing_table(vocab: Vocab, french: str) -> str:
    """What the decoder reads and what it must write at each position, as a Markdown table."""
    ids = vocab.encode_target([french])[0]
    ids = ids[ids != 0]
    rows = ["| position | decoder reads (input) | must write (target) |", "|---|---|---|"]
    for t, (read, write) in enumerate(zip(ids[:-1], ids[1:])):
        rows.append(f"| {t} | {vocab.target_words[read]} ({read}) | {vocab.target_words[write]} ({write}) |")
    return "\n".join(rows)


def training_data(split: Split, vocab: Vocab, batch_size: int, seed: int | None):
    """((source, decoder input), decoder target) batches: teacher forcing shifts the target by one."""
    english, french = zip(*split.pairs())
    source, target = vocab.encode_source(list(english)), vocab.encode_target(list(french))
    dataset = bucketed_batches((source, target), batch_size, seed=seed)
    return dataset.map(lambda s, t: ((s, t[:, :-1]), t[:, 1:])), len(source)


@dataclass
class Spec:
    source_vocab: int
    target_vocab: int
    cell: str = "gru"
    units: int = 128
    embed_dim: int = 64
    attention: str = "dot"  # "none" (the plain encoder-decoder), "dot" (Luong) or "additive" (Bahdanau)
    bidirectional: bool = False
    dropout: float = 0.0  # on the word vectors and on the decoder's output, while training

    @property
    def states(self) -> int:
        return 2 if self.cell == "lstm" else 1  # an LSTM carries (h, c)

    @property
    def decoder_units(self) -> int:
        return self.units * (2 if self.bidirectional else 1)  # the decoder starts from both directions' states


def spec_for(kind: str, vocab: Vocab, config: Config) -> Spec:
    """The settings of the ``kind`` ("plain" or "attention") model this configuration trains."""
    sizes = len(vocab.source_words), len(vocab.target_words)
    attention = "none" if kind == "plain" else config.score
    return Spec(*sizes, config.cell, config.units, config.embed_dim, attention, config.bidirectional, config.dropout)


SCORES = {"dot": keras.layers.Attention, "additive": keras.layers.AdditiveAttention}


def make_layers(spec: Spec) -> dict:
    encoder_rnn = recurrent_layer(
        spec.cell, spec.units, return_sequences=True, return_state=True, name=f"encoder_{spec.cell}"
    )
    if spec.bidirectional:
        encoder_rnn = keras.layers.Bidirectional(encoder_rnn, name="encoder_bidirectional")
    layers = {
        "source_embedding": keras.layers.Embedding(
            spec.source_vocab, spec.embed_dim, mask_zero=True, name="source_embedding"
        ),
        "encoder_rnn": encoder_rnn,
        "target_embedding": keras.layers.Embedding(
            spec.target_vocab, spec.embed_dim, mask_zero=True, name="target_embedding"
        ),
        "decoder_rnn": recurrent_layer(
            spec.cell, spec.decoder_units, return_sequences=True, return_state=True, name="decoder_rnn"
        ),
        "next_word": keras.layers.Dense(spec.target_vocab, name="next_word"),
        "dropout": keras.layers.Dropout(spec.dropout, name="dropout"),
    }
    if spec.attention != "none":
        layers["attention"] = SCORES[spec.attention](name="attention")
        layers["combine"] = keras.layers.Dense(spec.decoder_units, activation="tanh", name="combine")
    return layers


def layers_of(model: keras.Model) -> dict:
    """The shared layers of a trained (or reloaded) model, found by name."""
    names = ["source_embedding", "target_embedding", "decoder_rnn", "next_word", "attention", "combine", "dropout"]
    found = {n: model.get_layer(n) for n in names if any(layer.name == n for layer in model.layers)}
    found["encoder_rnn"] = next(layer for layer in model.layers if layer.name.startswith("encoder_"))
    return found


def encoder(layers: dict, source):
    """English ids -> (outputs at every word, final states). The final states are the context c = h_n."""
    outputs, *states = layers["encoder_rnn"](layers["dropout"](layers["source_embedding"](source)))
    if isinstance(layers["encoder_rnn"], keras.layers.Bidirectional):
        half = len(states) // 2
        states = [keras.ops.concatenate([f, b], axis=-1) for f, b in zip(states[:half], states[half:])]
    return outputs, states


def decoder(layers: dict, target_in, states, encoder_outputs=None, source=None):
    """Previous French ids + state -> (next-word logits, new states, attention weights or None)."""
    words = layers["dropout"](layers["target_embedding"](target_in))
    mask = layers["target_embedding"].compute_mask(target_in)  # with initial_state, Keras would not pass it on
    outputs, *states = layers["decoder_rnn"](words, initial_state=states, mask=mask)
    weights = None
    if "attention" in layers:
        source_mask = keras.ops.not_equal(source, 0)  # never attend to padding
        context, weights = layers["attention"](
            [outputs, encoder_outputs], mask=[None, source_mask], return_attention_scores=True
        )
        outputs = layers["combine"](keras.ops.concatenate([outputs, context], axis=-1))
    return layers["next_word"](layers["dropout"](outputs)), states, weights


def training_model(layers: dict, spec: Spec) -> keras.Model:
    source = keras.Input((None,), dtype="int32", name="source")
    target_in = keras.Input((None,), dtype="int32", name="target_in")
    encoder_outputs, states = encoder(layers, source)
    logits, _, _ = decoder(layers, target_in, states, encoder_outputs, source)
    name = "seq2seq_attention" if spec.attention != "none" else "seq2seq_plain"
    return keras.Model([source, target_in], logits, name=f"{name}_{spec.cell}")


def build_model(spec: Spec, learning_rate: float) -> keras.Model:
    """The training model, compiled: cross-entropy of the next French word, padding ignored."""
    model = training_model(make_layers(spec), spec)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    )
    return model


def next_token_log_probs(logits, banned=()) -> np.ndarray:
    """Log-softmax of a step's logits ``(n, vocab)`` in float64, with the ``banned`` token ids
    made impossible (padding, [start], [UNK]: tokens a decoder must never write)."""
    logits = np.array(logits, dtype=np.float64)
    logits[:, list(banned)] = -np.inf
    logits -= logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


TOY_WORDS = ["[end]", "a", "b", "[start]"]


TOY_TABLE = [  # row: the previous token; column: the next one
    [1.0, 1e-9, 1e-9, 1e-9],  # after [end] (never used)
    [0.45, 0.30, 0.25, 1e-9],  # after a
    [0.90, 0.05, 0.05, 1e-9],  # after b
    [1e-9, 0.60, 0.40, 1e-9],  # after [start]
]


def table_step(table):
    """A ``step`` function whose next-token log-probabilities are the row of ``table`` of the previous token."""
    log_table = np.log(np.asarray(table, dtype=float))
    return lambda tokens, state: (log_table[tokens], state)


@dataclass
class Decoded:
    """The best hypothesis per input: its tokens and its total log-probability."""

    tokens: list[list[int]]
    log_probs: list[float]


def check_sizes(batch_size: int, max_length: int, beam_size: int = 1) -> None:
    if min(batch_size, max_length, beam_size) < 1:
        raise ValueError(f"batch_size {batch_size}, max_length {max_length}, beam_size {beam_size}: each must be >= 1")


def until_end(tokens, end_id: int) -> list[int]:
    """The tokens before the first end token."""
    tokens = [int(token) for token in tokens]
    return tokens[: tokens.index(end_id)] if end_id in tokens else tokens


def greedy_search(step, state, *, batch_size: int, start_id: int, end_id: int, max_length: int) -> Decoded:
    """At every step take the single most likely token; ``state`` is the batch's initial state."""
    check_sizes(batch_size, max_length)
    tokens = np.full(batch_size, start_id, dtype=np.int64)
    finished = np.zeros(batch_size, dtype=bool)
    scores = np.zeros(batch_size)
    written = []
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        log_probs = np.asarray(log_probs, dtype=np.float64)
        tokens = log_probs.argmax(axis=-1)
        scores += np.where(finished, 0.0, log_probs[np.arange(batch_size), tokens])
        tokens = np.where(finished, end_id, tokens)
        written.append(tokens)
        finished |= tokens == end_id
        if finished.all():
            break
    rows = np.stack(written, axis=1)
    return Decoded([until_end(row, end_id) for row in rows], scores.tolist())


def extend_beams(scores, log_probs, finished, end_id: int, k: int):
    """One step for a batch of ``k`` beams per input: (the beam each survivor extends, its token, its score)."""
    batch_size, vocab = len(scores) // k, log_probs.shape[-1]
    frozen = np.full(vocab, -np.inf)
    frozen[end_id] = 0.0
    log_probs = np.where(finished[:, None], frozen, log_probs)
    candidates = (scores[:, None] + log_probs).reshape(batch_size, k * vocab)
    best = np.argsort(-candidates, axis=1, kind="stable")[:, :k]  # (batch, k), best first
    origin = (best // vocab + np.arange(batch_size)[:, None] * k).reshape(-1)
    return origin, (best % vocab).reshape(-1), np.take_along_axis(candidates, best, axis=1).reshape(-1)


def map_state(function, state):
    """Apply ``function`` to every array of a (nested) state, keeping its structure."""
    if state is None:
        return None
    if isinstance(state, dict):
        return {key: map_state(function, value) for key, value in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(map_state(function, value) for value in state)
    return function(state)


def length_normalised(score, length, alpha: float):
    """Score per token to the power ``alpha`` (0: raw log-probability, 1: mean per token)."""
    return score / np.maximum(length, 1) ** alpha


def beam_search(
    step, state, *, batch_size: int, start_id: int, end_id: int, max_length: int, beam_size: int = 4, alpha: float = 0.0
) -> Decoded:
    """Keep the ``beam_size`` best partial outputs at every step; each input's best by ``length_normalised`` wins."""
    check_sizes(batch_size, max_length, beam_size)
    k = beam_size
    state = map_state(lambda a: np.repeat(np.asarray(a), k, axis=0), state)  # (batch * k, ...)
    tokens = np.full(batch_size * k, start_id, dtype=np.int64)
    # only the first copy of each input is live at the start, else the beam holds k copies of one hypothesis
    scores = np.tile(np.r_[0.0, np.full(k - 1, -np.inf)], batch_size)
    finished = np.zeros(batch_size * k, dtype=bool)
    lengths = np.zeros(batch_size * k, dtype=np.int64)
    history = np.zeros((batch_size * k, 0), dtype=np.int64)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        origin, tokens, scores = extend_beams(scores, np.asarray(log_probs, dtype=np.float64), finished, end_id, k)
        lengths = lengths[origin] + ~finished[origin]
        finished = finished[origin] | (tokens == end_id)
        history = np.concatenate([history[origin], tokens[:, None]], axis=1)
        state = map_state(lambda a, origin=origin: np.asarray(a)[origin], state)
        if finished.all():
            break
    final = length_normalised(scores, lengths, alpha).reshape(batch_size, k)
    final = np.where(np.isfinite(final), final, -np.inf)
    winners = final.argmax(axis=1) + np.arange(batch_size) * k
    return Decoded([until_end(history[i], end_id) for i in winners], scores[winners].tolist())


def decode(step, state, *, beam_size: int = 1, alpha: float = 0.0, **kwargs) -> Decoded:
    """Greedy search when ``beam_size`` is 1, beam search otherwise."""
    if beam_size == 1:
        return greedy_search(step, state, **kwargs)
    return beam_search(step, state, beam_size=beam_size, alpha=alpha, **kwargs)


def inference_models(model: keras.Model):
    """(encoder, one decoder step, attention weights or None): Keras models wired from ``model``'s own layers."""
    layers = layers_of(model)
    source = keras.Input((None,), dtype="int32", name="source")
    encoder_outputs, states = encoder(layers, source)
    encoder_model = keras.Model(source, [encoder_outputs, *states])
    token = keras.Input((1,), dtype="int32", name="previous_word")
    state_in = [keras.Input((layers["decoder_rnn"].units,), name=f"state_{i}") for i in range(len(states))]
    enc_in = keras.Input((None, encoder_outputs.shape[-1]), name="encoder_outputs")
    logits, new_states, _ = decoder(layers, token, state_in, enc_in, source)
    attends = "attention" in layers
    step_model = keras.Model([token, *state_in] + ([enc_in, source] if attends else []), [logits, *new_states])
    scores_model = None
    if attends:
        target_in = keras.Input((None,), dtype="int32", name="target_in")
        _, _, weights = decoder(layers, target_in, states, encoder_outputs, source)
        scores_model = keras.Model([source, target_in], weights)
    return encoder_model, step_model, scores_model


class Translator:
    def __init__(self, model: keras.Model, vocab: Vocab):
        self.vocab = vocab
        self.encoder, self.step_model, self.scores_model = inference_models(model)
        self.attends = self.scores_model is not None

    def step(self, tokens, state):
        inputs = [tokens[:, None].astype("int32"), *state["rnn"]]
        if self.attends:
            inputs += [state["encoder_outputs"], state["source"]]
        # predict_on_batch: NumPy in, NumPy out, compiled once per input shape on every backend
        logits, *states = self.step_model.predict_on_batch(inputs)
        # Padding, [start] and [UNK] are never written: a rare word is better guessed than written as [UNK]
        log_probs = next_token_log_probs(logits[:, 0, :], banned=[0, 1, self.vocab.start_id])
        return log_probs, {**state, "rnn": states}

    def search(self, source: np.ndarray, beam: int = 1, alpha: float = 0.6, max_length: int | None = None):
        """The best French ids for each row of English ids (greedy when ``beam`` is 1), and their log-probabilities."""
        encoder_outputs, *states = self.encoder.predict_on_batch(source)
        state = {"rnn": states, "encoder_outputs": encoder_outputs, "source": source}
        ids = {"batch_size": len(source), "start_id": self.vocab.start_id, "end_id": self.vocab.end_id}
        max_length = max_length or 2 * int((source != 0).sum(1).max()) + 5
        return decode(self.step, state, beam_size=beam, alpha=alpha, max_length=max_length, **ids)

    def translate(self, sentences, beam: int = 1, alpha: float = 0.6, batch: int = 256, scores: bool = False):
        """French for each sentence; with ``scores``, also the model's score of each: what beam search maximises."""
        out, score = [], []
        what = f"translating {len(sentences):,} sentences" + (f" (beam {beam})" if beam > 1 else " (greedy)")
        for i in progress(range(0, len(sentences), batch), what=what, unit="batch"):
            source = self.vocab.encode_source(list(sentences[i : i + batch]))
            if source.shape[1] == 0:
                source = np.zeros((len(source), 1), dtype="int32")
            found = self.search(source, beam, alpha)
            out += [self.vocab.detokenize(t) for t in found.tokens]
            score += [length_normalised(p, len(t) + 1, alpha) for t, p in zip(found.tokens, found.log_probs)]
        return (out, score) if scores else out


def corpus_bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, reference_streams(references), lowercase=True).score)


def unigram_loss(train: Split, val: Split, vocab: Vocab) -> float:
    """Validation loss of a decoder that ignores the English and the words before: French word frequencies."""

    def targets(split):
        ids = vocab.encode_target([french for _, french in split.pairs()])[:, 1:]  # what the decoder must write
        return ids[ids != 0]

    frequencies = np.bincount(targets(train), minlength=len(vocab.target_words)) + 1.0  # +1: no zero probability
    return float(-np.mean(np.log(frequencies / frequencies.sum())[targets(val)]))


class SampleTranslations(keras.callbacks.Callback):
    """Greedy translations of a few validation sentences after each epoch (printed and in TensorBoard)."""

    def __init__(self, vocab: Vocab, sentences, references, run: Run, tag: str):
        super().__init__()
        self.vocab, self.sentences, self.references = vocab, sentences, references
        self.run, self.tag = run, tag
        self.translator = None

    def on_epoch_end(self, epoch, logs=None):
        self.translator = self.translator or Translator(self.model, self.vocab)  # the same layers, so built once
        outputs = self.translator.translate(self.sentences)
        lines = [f"| {s} | {o} | {r[0]} |" for s, o, r in zip(self.sentences, outputs, self.references)]
        print("\n".join(f"  {s}  ->  {o}" for s, o in zip(self.sentences, outputs)))
        table = "| English | model | a reference |\n|---|---|---|\n" + "\n".join(lines)
        self.run.log_text(f"translations/{self.tag}", table, step=epoch)


def fit(model, vocab: Vocab, train_ds, val_ds, val: Split, config: Config, run: Run, tag: str):
    """Train ``model``; returns its history and the seconds it took."""
    samples = SampleTranslations(vocab, val.sources[:4], val.references[:4], run, tag)
    budget = TimeBudget(config.max_minutes, mid_epoch=True)
    slower = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=config.lr / 16, verbose=1)
    best = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True, verbose=1)
    callbacks = [samples, slower, best, budget]
    history = run.fit(
        model, train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=callbacks, phase=tag, histograms=False
    )
    return history.history, history.seconds


def evaluate(translator: Translator, test: Split, beams, alpha: float) -> dict:
    """Test BLEU, the model's mean score of its translations, and BLEU by length, for each beam width."""
    results = {}
    for beam in beams:
        t0 = time.time()
        hypotheses, scores = translator.translate(test.sources, beam=beam, alpha=alpha, scores=True)
        results[beam] = {
            "bleu": corpus_bleu(hypotheses, test.references),
            "score": float(np.mean(scores)),
            "seconds": time.time() - t0,
            "by_length": bleu_by_length(test, hypotheses),
        }
    return results


def bleu_by_length(test: Split, hypotheses: list[str]) -> dict[int, float]:
    """Corpus BLEU of the test sentences grouped by English length in words (3 = three or fewer).

    The plain model must squeeze the whole sentence into one state vector, so it should lose
    more on longer sentences than the model with attention (Bahdanau et al. 2015, figure 2).
    """
    lengths = np.maximum([len(s.split()) for s in test.sources], 3)
    return {
        int(n): corpus_bleu([hypotheses[i] for i in rows], [test.references[i] for i in rows])
        for n in np.unique(lengths)
        for rows in [np.flatnonzero(lengths == n)]
    }


def bleu_table(results: dict, beam: int, untrained: dict) -> str:
    """Each model's test BLEU (untrained, greedy, beam) and its score of its own translations, as Markdown."""
    rows = [
        f"| model | BLEU untrained | BLEU greedy | BLEU beam {beam} | model score greedy | model score beam {beam} "
        f"| seconds greedy | seconds beam {beam} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, result in results.items():
        greedy, wide = result[1], result[beam]
        rows.append(
            f"| {kind} | {untrained[kind]:.1f} | {greedy['bleu']:.1f} | {wide['bleu']:.1f} | {greedy['score']:.3f} "
            f"| {wide['score']:.3f} | {greedy['seconds']:.1f} | {wide['seconds']:.1f} |"
        )
    return "\n".join(rows)


def attention_map(translator: Translator, sentence: str, beam: int = 1):
    """(source words, French words written, weights[french, english]) for one sentence."""
    source = translator.vocab.encode_source([sentence])
    written = translator.search(source, beam).tokens[0] + [translator.vocab.end_id]
    target_in = np.array([[translator.vocab.start_id, *written[:-1]]], dtype="int32")
    weights = keras.ops.convert_to_numpy(translator.scores_model([source, target_in]))[0]
    source_words = translator.vocab.source_tokens(sentence)
    return source_words, translator.vocab.words(written), weights[:, : len(source_words)]


def plot_attention(translator: Translator, sentences, title: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 10))
    for ax, sentence in zip(axes.flat, sentences):
        source_words, french, weights = attention_map(translator, sentence)
        plots.heatmap(
            weights,
            row_labels=french,
            col_labels=source_words,
            title=sentence,
            xlabel="English (read)",
            ylabel="French (written)",
            annotate=len(french) * len(source_words) <= 80,
            ax=ax,
        )
    fig.suptitle(title)
    fig.tight_layout()
    return fig
