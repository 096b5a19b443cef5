"""Lesson 05: translating English into French with an encoder-decoder, attention and beam search.

What you will see:
1. Tatoeba's English-French sentence pairs split by *English sentence*: an English sentence
   with five French translations sits wholly in training, validation or test, never in two
   of them, and the test scores it against all five.
2. Two models, in the order they were invented:
   - the plain encoder-decoder: an encoder RNN reads the English sentence; its final state
     c = h_n is the only thing the decoder RNN gets to start writing French from;
   - the same with attention: at every French word the decoder also looks back over all
     the encoder's outputs and takes a weighted average of them (dot-product, Luong, or
     additive, Bahdanau, scores).
   Both are trained with teacher forcing: the decoder reads the true previous French word.
3. Greedy decoding and beam search, written out and run on a toy model whose best sentence
   is known, then a separate inference path that writes one word at a time with the *same*
   layers as the training model, stopping at the end token.
4. After every epoch a few validation sentences are translated (printed, and in
   TensorBoard's TEXT tab), so you can watch the French appear.
5. A table of corpus BLEU (sacreBLEU, all references per sentence) for greedy and beam,
   with and without attention, BLEU by sentence length, and attention heatmaps: which
   English word the model was reading while it wrote each French word.

Run it:   make lesson05            (two models, about 8 minutes on 2 CPU cores)
Options:  --cell lstm, --bidirectional, --score dot, --models attention, --beam 8, --quick
Predict:  python -m lessons.lesson05_translation predict --beam 4 "I am cold." "Where is the station?"
Notebook: make notebooks, then open lessons/lesson05_translation.ipynb
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import json
import re
import time
import unicodedata
from dataclasses import asdict, dataclass

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, data, plots
from course_utils.atomic import write_atomic
from course_utils.bleu import reference_streams
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, configure, flag, show, show_figure
from course_utils.progress import progress
from course_utils.repro import set_seed
from course_utils.runs import Run, TimeBudget, display_path
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
f"Keras {keras.__version__} on {keras.backend.backend()}"  # a notebook shows the value of a cell's last line

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run
# the lesson again; as a script every field is a flag (`--models attention`, `--beam 8`,
# `--score dot`). `--quick` (or `COURSE_QUICK=1` in the environment, for a notebook) trains
# small models for three epochs on a few thousand real sentences, in a minute or two: enough to
# see every step work and the loss fall, not enough to translate well (that takes the full run).


# %%
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


config = configure(Config, LESSON)
set_seed(config.seed)
run = Run.start(LESSON, config, cell=config.cell)
print(
    f"Lesson 05: English -> French, {' and '.join(config.kinds())} encoder-decoder ({config.cell.upper()})"
    f"{' (quick)' if config.quick else ''}. Outputs go to {display_path(run.path)}"
)
show(config)

# %% [markdown]
# ## 1. Sentence pairs, cleaned deliberately
# Text from the web hides several ways of writing "the same" thing. We fix each on purpose:
# - Unicode normal form NFC: "é" is one code point, never "e" + a combining accent, so the
#   same word always becomes the same token. Accents are *kept*: "a" and "à" are different
#   French words.
# - French typography puts a narrow no-break space before ! and ?; all such spaces become
#   ordinary spaces, and the curly apostrophe ’ becomes '.
# - Lower case, and punctuation (. , ! ? ; : « » ") split off as tokens of its own;
#   apostrophes and hyphens stay inside words (j'ai, est-ce).


# %%
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


typed = unicodedata.normalize("NFD", "Où est l’élève\u202f?")
print(f"normalise: {typed!r} ({len(typed)} code points) -> {normalise(typed)!r} ({len(normalise(typed))})")
print("standardize:", standardize(normalise("« Ça va ! » Est-ce l'ÉTÉ ?")).numpy().decode())

# %% [markdown]
# The data is Tatoeba's English-French file (from manythings.org's Anki decks): one pair a
# line, English, a tab, French. We keep the pairs whose two sentences both have at most
# `max_words` words.


# %%
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


pairs = read_pairs(config.max_words)
print(f"{len(pairs):,} pairs of at most {config.max_words} words; the first three: {pairs[:3]}")

# %% [markdown]
# Then the pairs are grouped by English sentence and the *sentences* are split, so every
# test sentence is new to the model and is scored against all its translations. (The quick
# configuration keeps the first `QUICK_SOURCES` English sentences of the shuffled list.)


# %%
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


train, val, test = split_by_source(pairs, config.seed, limit=QUICK_SOURCES if config.quick else None)
if config.test_sentences:
    test = Split(test.sources[: config.test_sentences], test.references[: config.test_sentences])
print(
    f"Split by English sentence: {len(train.sources):,} training, {len(val.sources):,} validation, "
    f"{len(test.sources):,} test sentences ({len(train.pairs()):,} training pairs); the test sentences have "
    f"{sum(map(len, test.references)):,} references in all"
)
print("A few raw training pairs:")
for english, french in train.pairs()[:5]:
    print(f"  {english}  ->  {french}")
many = max(range(len(test.sources)), key=lambda i: len(test.references[i]))
print(f"\nThe test sentence with the most translations: {test.sources[many]!r}")
for reference in test.references[many]:
    print(f"  {reference}")

# %% [markdown]
# ## 2. Words to integers
# One TextVectorization per language, fitted on the training sentences only. The French side
# gets two extra tokens: [start], the first input of the decoder, and [end], which the decoder
# writes when it is done. Index 0 is padding (masked everywhere), index 1 is [UNK] for rare
# words.


# %%
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


vocab = Vocab.fit(train, config.source_vocab, config.target_vocab)
print(f"Vocabularies: {len(vocab.source_words):,} English words, {len(vocab.target_words):,} French words")
print(f"The most frequent French tokens: {vocab.target_words[:12]}")

# %% [markdown]
# Teacher forcing: while training, the decoder reads the *true* French sentence shifted by
# one: at each position it reads a word and must write the next one. The decoder input is
# the target without its last token, the decoder target is the target without its first.


# %%
def teacher_forcing_table(vocab: Vocab, french: str) -> str:
    """What the decoder reads and what it must write at each position, as a Markdown table."""
    ids = vocab.encode_target([french])[0]
    ids = ids[ids != 0]
    rows = ["| position | decoder reads (input) | must write (target) |", "|---|---|---|"]
    for t, (read, write) in enumerate(zip(ids[:-1], ids[1:])):
        rows.append(f"| {t} | {vocab.target_words[read]} ({read}) | {vocab.target_words[write]} ({write}) |")
    return "\n".join(rows)


english, french = train.pairs()[0]
print(f"{english!r} -> English ids {vocab.encode_source([english])[0].tolist()}")
print(f"{french!r} -> French ids {vocab.encode_target([french])[0].tolist()}")
print(f"  = {vocab.words(vocab.encode_target([french])[0])}")
show(teacher_forcing_table(vocab, french))


# %% [markdown]
# ## 3. Batches of similar length
# Pairs of similar length are batched together (`course_utils.text.bucketed_batches`) and each
# batch is cut to its longest sentence: half of a randomly batched French sentence would be
# padding, and the decoder's output layer, a softmax over the whole French vocabulary at every
# position, is where most of the time goes. One batch is ((English ids, decoder input),
# decoder target):


# %%
def training_data(split: Split, vocab: Vocab, batch_size: int, seed: int | None):
    """((source, decoder input), decoder target) batches: teacher forcing shifts the target by one."""
    english, french = zip(*split.pairs())
    source, target = vocab.encode_source(list(english)), vocab.encode_target(list(french))
    dataset = bucketed_batches((source, target), batch_size, seed=seed)
    return dataset.map(lambda s, t: ((s, t[:, :-1]), t[:, 1:])), len(source)


train_ds, n_train = training_data(train, vocab, config.batch_size, seed=config.seed)
val_ds, _ = training_data(val, vocab, 512, seed=None)
(batch_source, batch_target_in), batch_target_out = next(iter(train_ds))
# NumPy arrays from here on: a model on any Keras backend takes them (tf.data's tensors are TensorFlow's own)
batch_source, batch_target_in, batch_target_out = map(np.asarray, (batch_source, batch_target_in, batch_target_out))
print(
    f"One training batch: English {tuple(batch_source.shape)}, decoder input {tuple(batch_target_in.shape)}, "
    f"decoder target {tuple(batch_target_out.shape)}; {len(train_ds)} batches an epoch"
)
print(
    f"Padding (masked) is {np.mean(batch_source == 0):.0%} of the English and "
    f"{np.mean(batch_target_out == 0):.0%} of the French targets in this batch"
)
print("First row, decoder input: ", vocab.words(batch_target_in[0]))
print("First row, decoder target:", vocab.words(batch_target_out[0]))


# %% [markdown]
# ## 4. The encoder-decoder, built from layers the training model and the decoder share
# Each model's settings first: the plain model has no attention; the other scores the
# encoder's outputs with `score`. A bidirectional encoder hands the decoder both directions'
# final states side by side, so the decoder is twice as wide.


# %%
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


specs = {kind: spec_for(kind, vocab, config) for kind in config.kinds()}
for kind, spec in specs.items():
    print(f"{kind}: {spec}")

# %% [markdown]
# The layers are created once, by `make_layers`; `layers_of` finds them again, by name, in a
# trained or reloaded model. With attention, `combine` mixes the decoder's output with the
# weighted average of the encoder's outputs (Luong et al. 2015's attentional hidden state).


# %%
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


toy_layers = make_layers(Spec(source_vocab=20, target_vocab=30, units=8, embed_dim=4, attention="dot"))
print("The layers of a toy model with attention:", {name: type(layer).__name__ for name, layer in toy_layers.items()})


# %% [markdown]
# Two small functions wire them: `encoder` (English ids -> outputs for every word + final
# state) and `decoder` (previous French ids + state -> scores for the next word + new state).
# The *training* model calls `decoder` on the whole French sentence at once (teacher forcing);
# the *step* model (section 6) calls the same `decoder` on one word. Because both are wired
# from the same layer objects, there is one set of weights: the saved training model is all
# we need to rebuild the step model after loading. (A well-known bug in older seq2seq
# examples: the inference models were built from *new* layers, so a reloaded model translated
# every sentence into the same French sentence. The tests check that a reloaded model
# translates exactly as it did before saving.) Here they run on a toy sentence of three words
# and one padding position, with the toy layers' random weights: attention gives the padding
# no weight.


# %%
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


toy_source, toy_target_in = np.array([[5, 6, 7, 0]]), np.array([[2, 9, 8]])  # one sentence, its last word padding
toy_outputs, toy_states = encoder(toy_layers, toy_source)
toy_logits, _, toy_weights = decoder(toy_layers, toy_target_in, toy_states, toy_outputs, toy_source)
print(f"encoder: outputs {tuple(toy_outputs.shape)}, final state {tuple(toy_states[0].shape)}")
print(f"decoder: logits {tuple(toy_logits.shape)}, attention weights {tuple(toy_weights.shape)}")
print("attention on the padding:", keras.ops.convert_to_numpy(toy_weights)[0, :, -1].round(3))

# %% [markdown]
# The training model: English ids and the decoder input in, next-word scores out, trained
# with the cross-entropy of the next French word (padding ignored).


# %%
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


models = {}
for kind in config.kinds():
    set_seed(config.seed)
    models[kind] = build_model(specs[kind], config.lr)
    models[kind].summary()
logits = models[config.kinds()[-1]]([batch_source, batch_target_in])
print(
    f"Untrained, on the batch above: next-word scores (logits) {tuple(logits.shape)} "
    "= (sentences, positions, French words)"
)

# %% [markdown]
# ## 5. Writing a sentence: greedy search and beam search
# At test time there is no true French to read: the decoder reads its own previous word, and
# writing a sentence becomes a search for the words the model likes best. Both searches below
# need only a `step` function, `step(tokens, state) -> (log_probs, new_state)`: `tokens`
# holds the previous word of every hypothesis, shape `(n,)`; `log_probs` the model's
# log-probabilities of the next word, `(n, vocabulary)`; `state` whatever the model carries
# from one word to the next (arrays, or a dict or list of them, with the hypotheses on the
# first axis). Nothing here knows about Keras: lesson 06 writes its captions with these
# same functions.
#
# First the model's scores become log-probabilities: a log-softmax in float64, with the
# tokens a decoder must never write (padding, [start], [UNK]) made impossible.


# %%
def next_token_log_probs(logits, banned=()) -> np.ndarray:
    """Log-softmax of a step's logits ``(n, vocab)`` in float64, with the ``banned`` token ids
    made impossible (padding, [start], [UNK]: tokens a decoder must never write)."""
    logits = np.array(logits, dtype=np.float64)
    logits[:, list(banned)] = -np.inf
    logits -= logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


probabilities = np.exp(next_token_log_probs([[2, 1, 0.5, -1]], banned=[0]))
print(f"logits [2, 1, 0.5, -1], token 0 banned -> probabilities {probabilities.round(3)}")

# %% [markdown]
# A toy model to search with, small enough to check by hand: four tokens, and a table of
# next-token probabilities that depend only on the previous token. After [start], "a" (0.6)
# beats "b" (0.4), but "a" leads to a flat distribution while "b" is almost always followed
# by [end]. The most likely sentence is "b" (0.4 x 0.9 = 0.36), not "a" (0.6 x 0.45 = 0.27).


# %%
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


toy_step = table_step(TOY_TABLE)
rows = ["| after | " + " | ".join(TOY_WORDS) + " |", "|---|" + "---|" * len(TOY_WORDS)]
show(
    "\n".join(rows + [f"| {w} | " + " | ".join(f"{p:.2g}" for p in row) + " |" for w, row in zip(TOY_WORDS, TOY_TABLE)])
)

# %% [markdown]
# Greedy search takes the single most likely token at every step and feeds it back in. A
# whole batch of inputs is decoded at once: an input that has written [end] goes on "writing"
# [end], at no cost, until every input is done or `max_length` tokens are written. The result
# is each input's tokens (without [start] and [end]) and their total log-probability. On the
# toy model greedy takes "a" and is stuck with it.


# %%
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


toy = {"batch_size": 1, "start_id": 3, "end_id": 0, "max_length": 5}
greedy = greedy_search(toy_step, None, **toy)
print(f"greedy: {[TOY_WORDS[t] for t in greedy.tokens[0]]}, probability {np.exp(greedy.log_probs[0]):.2f}")

# %% [markdown]
# Beam search keeps the `k` best partial sentences (the beams) instead of one. One step
# extends every beam by every token (its score plus the token's log-probability) and keeps
# the `k` best of all those candidates, per input: a beam may leave several children, another
# none. A finished beam may only "write" [end], at no cost, so it stays in the running with
# its score unchanged. Whatever the model carries per beam (its `state`) is then reordered to
# follow the beams that survived (`map_state`). On the toy model, from [start], with `k = 2`:


# %%
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


scores, finished, tokens = np.array([0.0, -np.inf]), np.zeros(2, dtype=bool), np.full(2, 3)  # only beam 0 is live
for t in (1, 2):
    origin, tokens, scores = extend_beams(scores, toy_step(tokens, None)[0], finished, end_id=0, k=2)
    finished = finished[origin] | (tokens == 0)
    print(f"step {t}: beams {origin.tolist()} extended by {[TOY_WORDS[i] for i in tokens]}: {np.exp(scores)}")

# %% [markdown]
# Which finished beam wins? The raw log-probability prefers short outputs: every extra word
# can only lower it. So the winner is chosen by the score per token to the power `alpha`
# (0: the raw log-probability, 1: the mean per token; the length counts [end]). Here, a
# two-token output with probability 0.3 against a six-token one with probability 0.2:


# %%
def length_normalised(score, length, alpha: float):
    """Score per token to the power ``alpha`` (0: raw log-probability, 1: mean per token)."""
    return score / np.maximum(length, 1) ** alpha


for alpha in (0.0, 0.6, 1.0):
    short, long = length_normalised(np.log(0.3), 2, alpha), length_normalised(np.log(0.2), 6, alpha)
    print(f"alpha {alpha}: short {short:.3f}, long {long:.3f}: the {'short' if short > long else 'long'} one wins")

# %% [markdown]
# The whole search: every input starts with `k` copies of its state, only the first live;
# steps run until every beam has finished or `max_length`; then each input's best beam by
# `length_normalised`. With `alpha=0` and a beam as wide as every possible output this finds
# the most likely sentence exactly; with `k = 1` it is greedy search. `decode` picks one of
# the two. On the toy model a beam of two finds "b", which greedy missed.


# %%
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


found = decode(toy_step, None, beam_size=2, **toy)
print(f"beam of 2: {[TOY_WORDS[t] for t in found.tokens[0]]}, probability {np.exp(found.log_probs[0]):.2f}")

# %% [markdown]
# ## 6. The inference path: one word at a time, with the trained layers
# The shared layers are wired into two more small models: the encoder alone, and one step of
# the decoder (previous word + state -> next-word scores + new state; with attention, the
# encoder's outputs and the English ids come in too). A third gives the attention weights of
# a whole sentence, for the heatmaps of section 11. None of them has weights of its own.


# %%
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


for kind, model in models.items():
    _, step_model, _ = inference_models(model)
    own = {id(w) for w in model.weights} >= {id(w) for w in step_model.weights}
    print(f"{kind}: one decoder step reads {[tuple(x.shape) for x in step_model.inputs]}")
    print(f"  and its {len(step_model.weights)} weights are all the training model's own: {own}")

# %% [markdown]
# `Translator` hands the step model to the searches of section 5 as a `step(tokens, state)`
# function, and turns sentences into ids and ids back into French. Before training, the
# weights are random: the decoder writes a random string of French words until it happens
# to write [end] or reaches its length limit.


# %%
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


translators = {kind: Translator(model, vocab) for kind, model in models.items()}
for kind, translator in translators.items():
    print(f"Untrained {kind} model: {SHOWCASE[0]!r} -> {translator.translate(SHOWCASE[:1])[0]!r}")


# %% [markdown]
# ## 7. BLEU, the standard way
# BLEU counts the word n-grams (1 to 4) of the output that also occur in a reference
# translation, with a penalty for outputs shorter than the references. We use sacreBLEU,
# the tool papers report with, on whole French sentences (its own tokeniser, case-insensitive
# because our model writes lower case), against *every* reference the data has for each
# English sentence: "J'ai froid." and "Je suis gelé." can both be right. The untrained
# models above are the floor every trained model must rise from.


# %%
def corpus_bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, reference_streams(references), lowercase=True).score)


references = [["Il fait très froid.", "Il fait froid."], ["Le chat est endormi."]]
for hypotheses in (["il fait froid.", "le chat est endormi."], ["il fait froid.", "le chat dort."]):
    print(f"BLEU of {hypotheses} = {corpus_bleu(hypotheses, references):.1f}")
untrained_bleu = {kind: corpus_bleu(t.translate(test.sources), test.references) for kind, t in translators.items()}
print("Untrained, greedy, on the test sentences: " + ", ".join(f"{k} {b:.2f}" for k, b in untrained_bleu.items()))

# %% [markdown]
# ## 8. Training, with sample translations after every epoch
# The validation loss is the cross-entropy of the next French word, in nats. Two losses to
# beat first: a uniform guess over the French vocabulary, and a decoder that ignores the
# English and the words before and writes each French word with its training frequency.


# %%
def unigram_loss(train: Split, val: Split, vocab: Vocab) -> float:
    """Validation loss of a decoder that ignores the English and the words before: French word frequencies."""

    def targets(split):
        ids = vocab.encode_target([french for _, french in split.pairs()])[:, 1:]  # what the decoder must write
        return ids[ids != 0]

    frequencies = np.bincount(targets(train), minlength=len(vocab.target_words)) + 1.0  # +1: no zero probability
    return float(-np.mean(np.log(frequencies / frequencies.sum())[targets(val)]))


uniform_loss, frequency_loss = float(np.log(len(vocab.target_words))), unigram_loss(train, val, vocab)
print(
    f"Validation losses to beat: a uniform guess over {len(vocab.target_words):,} French words {uniform_loss:.2f}; "
    f"word frequencies alone, ignoring the English and the words before, {frequency_loss:.2f}"
)

# %% [markdown]
# One line per epoch: four validation sentences translated greedily, then the training and
# validation loss. The step size halves when the validation loss stops improving, training
# stops when it has not improved for three epochs (or when `max_minutes` is spent) and keeps the
# best epoch's weights. `run.fit` adds TensorBoard logs (`logs/<model>`) and a backup of each
# model after every epoch: an interrupted run (`--run-dir`) keeps a model whose training had
# finished and continues the other after its last finished epoch.


# %%
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


settings = {"source_words": vocab.source_words, "target_words": vocab.target_words, "models": {}}
histories, train_seconds = {}, {}
for kind, model in models.items():
    print(f"\n== {kind} encoder-decoder: {config.cell.upper()}({config.units}), attention {specs[kind].attention} ==")
    set_seed(config.seed)
    histories[kind], train_seconds[kind] = fit(model, vocab, train_ds, val_ds, val, config, run, kind)
    path = run.save_model(model, MODEL_FILES[kind])
    settings["models"][path.name] = asdict(specs[kind])
    write_atomic(run.file(SETTINGS_FILE), json.dumps(settings, ensure_ascii=False) + "\n")
    show_figure(plots.training_curves(histories[kind], title=f"{kind} encoder-decoder"), run, f"loss_{kind}.png")

# %% [markdown]
# ## 9. Test BLEU: greedy against beam search, plain against attention
# Every model translates the test sentences twice: greedily, and with a beam of `beam`
# partial sentences. Beam search chooses the hypothesis with the best *model score*, its
# log-probability divided by its length to the power `alpha` (section 5). Finding
# higher-scoring translations is all beam search does, and the "model score" columns show it
# does that; whether BLEU rises too depends on whether the model's scores are right, which a
# half-trained model's are not. The translators built in section 6 share the models' layers,
# so they now translate with the trained weights. BLEU is also kept per English length, for
# section 10.


# %%
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


toy_test = Split(["Tom is here.", "We are very cold."], [["Tom est ici."], ["Nous avons très froid."]])
by_length = bleu_by_length(toy_test, ["tom est ici.", "le chat dort."])
print("BLEU by length of a right and a wrong translation:", {n: round(b, 1) for n, b in by_length.items()})

# %% [markdown]
# The table is the lesson's result; `make bench` records it at full size (bench/results.md).


# %%
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


results = {kind: evaluate(translator, test, [1, config.beam], config.alpha) for kind, translator in translators.items()}
print(f"Test BLEU (sacreBLEU, case-insensitive, all references), {len(test.sources):,} test sentences:")
show(bleu_table(results, config.beam, untrained_bleu))
bars = {f"{k} {'greedy' if b == 1 else f'beam {b}'}": r["bleu"] for k, v in results.items() for b, r in v.items()}
show_figure(plots.bar_table(bars, title="Test BLEU (sacreBLEU, all references)", ylabel="BLEU"), run, "bleu.png")
for key, value in bars.items():
    run.log_scalar(f"bleu/{key.replace(' ', '_')}", value, step=0)  # TensorBoard's SCALARS tab

# %% [markdown]
# ## 10. BLEU by sentence length
# The plain decoder must get everything from one state vector, so it should fall further
# behind on longer sentences; with attention it can look back at every English word. (BLEU on
# a small group of sentences is noisy: read the quick run's curve loosely.)

# %%
by_length = {kind: result[config.beam]["by_length"] for kind, result in results.items()}
fig = plots.line_plot(
    {kind: (list(b), list(b.values())) for kind, b in by_length.items()},
    title=f"Test BLEU by sentence length (beam {config.beam})",
    xlabel="English words (3 = three or fewer)",
    ylabel="BLEU",
)
fig.axes[0].set_xticks(sorted({n for b in by_length.values() for n in b}))
show_figure(fig, run, "bleu_by_length.png")
lengths = np.maximum([len(s.split()) for s in test.sources], 3)
rows = [f"| English words | sentences | {' | '.join(by_length)} |", "|---|---|" + "---|" * len(by_length)]
for n in sorted(next(iter(by_length.values()))):
    rows.append(f"| {n} | {np.sum(lengths == n)} | " + " | ".join(f"{b[n]:.1f}" for b in by_length.values()) + " |")
show("\n".join(rows))


# %% [markdown]
# ## 11. Where attention looks
# For each French word the attention model wrote (rows), the weight it gave each English
# word (columns) while writing it: the model translates the sentence greedily, then reads
# the same French through the attention-weights model of section 6. Word order mostly
# matches, so the bright cells run down the diagonal; where French reorders or needs two
# words for one, the weights follow.


# %%
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


if "attention" in translators:
    fig = plot_attention(translators["attention"], test.sources[:4], f"Attention ({config.score}) on test sentences")
    show_figure(fig, run, "attention.png")
else:
    print("No attention model in this run (--models plain): nothing to draw.")

# %% [markdown]
# ## 12. Translations, and what the run leaves behind
# A few sentences of our own, by every model, greedy and with beam search; then `metrics.json`
# records the results and the whole configuration above. To translate new sentences later with
# a saved model (the newest run's attention model, or `--model PATH`), without training:
# `python -m lessons.lesson05_translation predict --beam 4 "I am cold."`.

# %%
columns = [(kind, beam) for kind in translators for beam in (1, config.beam)]
outputs = {(k, b): translators[k].translate(SHOWCASE, beam=b, alpha=config.alpha) for k, b in columns}
header = " | ".join(f"{k} {'greedy' if b == 1 else f'beam {b}'}" for k, b in columns)
rows = [f"| English | {header} |", "|---|" + "---|" * len(columns)]
rows += [f"| {s} | " + " | ".join(outputs[c][i] for c in columns) + " |" for i, s in enumerate(SHOWCASE)]
show("\n".join(rows))
metrics = {}
for kind, result in results.items():
    greedy, wide, history = result[1], result[config.beam], histories[kind]
    for name, value in (("greedy", greedy), ("beam", wide)):
        metrics |= {f"bleu_{kind}_{name}": value["bleu"], f"score_{kind}_{name}": value["score"]}
    metrics |= {f"bleu_{kind}_untrained": untrained_bleu[kind], f"bleu_{kind}_beam_by_length": wide["by_length"]}
    metrics |= {f"train_seconds_{kind}": train_seconds[kind], f"epochs_{kind}": len(history["loss"])}
    metrics[f"val_loss_{kind}"] = min(history["val_loss"])
metrics |= {"test_sentences": len(test.sources), "unigram_val_loss": frequency_loss, "train_pairs": n_train}
metrics |= {"source_words": len(vocab.source_words), "target_words": len(vocab.target_words)}
run.write_metrics(metrics, config)
run.finish()
print("Next: the exercises for this lesson: make check EX=ex05   (stuck? make hint EX=ex05a)")
