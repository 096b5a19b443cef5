"""Lesson 05: translating English into French with an encoder-decoder, attention and beam search.

What you will see:
1. Tatoeba's English-French sentence pairs (142,787 of them) split by *English sentence*:
   an English sentence with five French translations sits wholly in training, validation
   or test, never in two of them, and the test scores it against all five.
2. Two models, in the order they were invented:
   - the plain encoder-decoder: an encoder RNN reads the English sentence; its final state
     c = h_n is the only thing the decoder RNN gets to start writing French from;
   - the same with attention: at every French word the decoder also looks back over all
     the encoder's outputs and takes a weighted average of them (dot-product, Luong, or
     additive, Bahdanau, scores).
   Both are trained with teacher forcing: the decoder reads the true previous French word.
3. After every epoch a few validation sentences are translated (printed, and in
   TensorBoard's TEXT tab), so you can watch the French appear.
4. A separate inference path that writes one word at a time with the *same* layers:
   greedy decoding and beam search (course_utils.decoding), stopping at the end token.
5. A table of corpus BLEU (sacreBLEU, all references per sentence) for greedy and beam,
   with and without attention, and attention heatmaps: which English word the model was
   reading while it wrote each French word (attention.png).

Run it:   make lesson05            (two models, about 8 minutes on 2 CPU cores)
Options:  --cell lstm, --bidirectional, --score dot, --models attention, --beam 8, --quick
Predict:  python -m lessons.lesson05_translation predict --beam 4 "I am cold." "Where is the station?"
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import argparse
import json
import re
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, data, plots
from course_utils.bleu import reference_streams
from course_utils.decoding import decode, next_token_log_probs
from course_utils.repro import set_seed
from course_utils.runs import Run, TimeBudget, load_model, newest_model
from course_utils.text import bucketed_batches

LESSON = "lesson05_translation"
SETTINGS_FILE = "translation.json"  # vocabularies and model settings, saved next to the models
START, END = "[start]", "[end]"
VALIDATION_FRACTION = 0.05
TEST_FRACTION = 0.10
MODEL_FILES = {"plain": "model_plain.keras", "attention": "model.keras"}
SHOWCASE = ["I am cold.", "Where is the station?", "She doesn't like cats.", "We have to go home now."]

# fmt: off
FULL = [
    "--units", "256", "--embed-dim", "128", "--dropout", "0.2", "--lr", "0.003",
    "--epochs", "40", "--max-minutes", "19", "--test-sentences", "0",
]  # one model, 19 minutes of training, every test sentence
# fmt: on
BENCHMARKS = [
    {
        "name": "default",
        "args": [],
        "report": ["bleu_attention_beam", "bleu_attention_greedy", "bleu_plain_beam", "bleu_plain_greedy"],
        "target": "make lesson05 <= 480 s with a printed BLEU; attention > plain; beam >= greedy",
    },
    {
        "name": "full-attention",
        "args": ["--models", "attention", *FULL],
        "report": ["bleu_attention_beam", "bleu_attention_greedy", "epochs_attention", "train_seconds_attention"],
        "target": "bleu_attention_beam >= 35 (trained in <= 20 min), > plain, beam >= greedy",
    },
    {
        "name": "full-plain",
        "args": ["--models", "plain", *FULL],
        "report": ["bleu_plain_beam", "bleu_plain_greedy", "epochs_plain", "train_seconds_plain"],
        "target": "the same budget without attention: clearly below full-attention",
    },
]

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


@dataclass
class Split:
    sources: list  # unique English sentences
    references: list  # for each, every French translation in the data

    def pairs(self):
        return [(s, r) for s, refs in zip(self.sources, self.references) for r in refs]


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


# %% [markdown]
# ## 2. Words to integers
# One TextVectorization per language. The French side gets two extra tokens: [start], the
# first input of the decoder, and [end], which the decoder writes when it is done. Index 0
# is padding (masked everywhere), index 1 is [UNK] for rare words.


# %%
def fit_vocabulary(texts, max_tokens: int) -> list[str]:
    layer = keras.layers.TextVectorization(max_tokens=max_tokens, standardize=standardize)
    layer.adapt(tf.data.Dataset.from_tensor_slices(list(texts)).batch(2048))
    return layer.get_vocabulary()


class Vocab:
    """Both vocabularies, turning sentences into padded id arrays and ids back into text."""

    def __init__(self, source_words: list[str], target_words: list[str]):
        self.source_words, self.target_words = list(source_words), list(target_words)
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
    parts = [layer(tf.constant(texts[i : i + batch])).numpy() for i in range(0, len(texts), batch)]
    width = max(p.shape[1] for p in parts)
    return np.concatenate([np.pad(p, ((0, 0), (0, width - p.shape[1]))) for p in parts]).astype("int32")


def training_data(split: Split, vocab: Vocab, batch_size: int, seed: int | None):
    """((source, decoder input), decoder target) batches: teacher forcing shifts the target by one.

    Pairs of similar length are batched together (course_utils.text.bucketed_batches): half
    of a randomly batched French sentence would be padding, and the decoder's output layer,
    a 6,000-way softmax at every position, is where most of the time goes.
    """
    english, french = zip(*split.pairs())
    source, target = vocab.encode_source(list(english)), vocab.encode_target(list(french))
    dataset = bucketed_batches((source, target), batch_size, seed=seed)
    return dataset.map(lambda s, t: ((s, t[:, :-1]), t[:, 1:])), len(source)


# %% [markdown]
# ## 3. The encoder-decoder, built from layers the training model and the decoder share
# The layers are created once. Two small functions wire them: `encoder` (English ids ->
# outputs for every word + final state) and `decoder` (previous French ids + state ->
# scores for the next word + new state). The *training* model calls `decoder` on the whole
# French sentence at once (teacher forcing); the *step* model calls the same `decoder` on one
# word. Because both are wired from the same layer objects, there is one set of weights:
# the saved training model is all we need to rebuild the step model after loading.
#
# A well-known bug in older seq2seq examples: the inference models were built from *new*
# layers, so a reloaded model translated every sentence into the same French sentence.
# The tests check that a reloaded model translates exactly as it did before saving.


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


RECURRENT = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
SCORES = {"dot": keras.layers.Attention, "additive": keras.layers.AdditiveAttention}


def make_layers(spec: Spec) -> dict:
    cell = RECURRENT[spec.cell]
    encoder_rnn = cell(spec.units, return_sequences=True, return_state=True, name=f"encoder_{spec.cell}")
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
        "decoder_rnn": cell(spec.decoder_units, return_sequences=True, return_state=True, name="decoder_rnn"),
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
    outputs, *states = layers["decoder_rnn"](words, initial_state=states)
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


# %% [markdown]
# ## 4. The inference path: one word at a time
# At test time there is no true French to read: the decoder reads its own previous word.
# `Translator` wraps the shared layers in two small models (encoder; one decoder step) and
# hands a `step(tokens, state) -> log-probabilities, state` function to
# `course_utils.decoding`, which does greedy decoding or beam search for any such model.


# %%
class Translator:
    def __init__(self, model: keras.Model, vocab: Vocab):
        self.vocab = vocab
        layers = layers_of(model)
        self.attends = "attention" in layers
        source = keras.Input((None,), dtype="int32", name="source")
        encoder_outputs, states = encoder(layers, source)
        self.encoder = keras.Model(source, [encoder_outputs, *states])
        n_states = len(states)
        units = layers["decoder_rnn"].units
        token = keras.Input((1,), dtype="int32", name="previous_word")
        state_in = [keras.Input((units,), name=f"state_{i}") for i in range(n_states)]
        enc_in = keras.Input((None, encoder_outputs.shape[-1]), name="encoder_outputs")
        logits, new_states, _ = decoder(layers, token, state_in, enc_in, source)
        step_inputs = [token, *state_in] + ([enc_in, source] if self.attends else [])
        self.step_model = keras.Model(step_inputs, [logits, *new_states])
        self._step = tf.function(self.step_model, reduce_retracing=True)
        self._encode = tf.function(self.encoder, reduce_retracing=True)
        self.scores_model = None
        if self.attends:
            target_in = keras.Input((None,), dtype="int32", name="target_in")
            _, _, weights = decoder(layers, target_in, states, encoder_outputs, source)
            self.scores_model = keras.Model([source, target_in], weights)

    def step(self, tokens, state):
        inputs = [tokens[:, None].astype("int32"), *state["rnn"]]
        if self.attends:
            inputs += [state["encoder_outputs"], state["source"]]
        logits, *states = self._step(inputs)
        # Padding and [start] are never written, and neither is [UNK]: a rare word the vocabulary
        # lacks is better guessed than written as [UNK], which matches no reference.
        log_probs = next_token_log_probs(logits.numpy()[:, 0, :], banned=[0, 1, self.vocab.start_id])
        return log_probs, {**state, "rnn": [s.numpy() for s in states]}

    def translate_ids(self, source: np.ndarray, beam: int = 1, alpha: float = 0.6, max_length: int | None = None):
        encoder_outputs, *states = self._encode(tf.constant(source))
        state = {"rnn": [s.numpy() for s in states], "encoder_outputs": encoder_outputs.numpy(), "source": source}
        longest = int((source != 0).sum(1).max())
        result = decode(
            self.step,
            state,
            beam_size=beam,
            alpha=alpha,
            batch_size=len(source),
            start_id=self.vocab.start_id,
            end_id=self.vocab.end_id,
            max_length=max_length or 2 * longest + 5,
        )
        return result.tokens

    def translate(self, sentences, beam: int = 1, alpha: float = 0.6, batch: int = 256) -> list[str]:
        out = []
        for i in range(0, len(sentences), batch):
            source = self.vocab.encode_source(list(sentences[i : i + batch]))
            if source.shape[1] == 0:
                source = np.zeros((len(source), 1), dtype="int32")
            out += [self.vocab.detokenize(t) for t in self.translate_ids(source, beam, alpha)]
        return out

    def attention(self, sentence: str, beam: int = 1):
        """(source words, French words written, weights[french, english]) for one sentence."""
        source = self.vocab.encode_source([sentence])
        written = self.translate_ids(source, beam)[0] + [self.vocab.end_id]
        target_in = np.array([[self.vocab.start_id, *written[:-1]]], dtype="int32")
        weights = keras.ops.convert_to_numpy(self.scores_model([source, target_in]))[0]
        source_words = self.vocab.source_tokens(sentence)
        return source_words, self.vocab.words(written), weights[:, : len(source_words)]


# %% [markdown]
# ## 5. BLEU, the standard way
# BLEU counts the word n-grams (1 to 4) of the output that also occur in a reference
# translation, with a penalty for outputs shorter than the references. We use sacreBLEU,
# the tool papers report with, on whole French sentences (its own tokeniser, case-insensitive
# because our model writes lower case), against *every* reference the data has for each
# English sentence: "J'ai froid." and "Je suis gelé." can both be right.


# %%
def corpus_bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, reference_streams(references), lowercase=True).score)


# %% [markdown]
# ## 6. Training, with sample translations after every epoch


# %%
class SampleTranslations(keras.callbacks.Callback):
    """Greedy translations of a few validation sentences after each epoch (printed and in TensorBoard)."""

    def __init__(self, vocab: Vocab, sentences, references, run: Run, tag: str):
        super().__init__()
        self.vocab, self.sentences, self.references = vocab, sentences, references
        self.run, self.tag = run, tag

    def on_epoch_end(self, epoch, logs=None):
        outputs = Translator(self.model, self.vocab).translate(self.sentences)
        lines = [f"| {s} | {o} | {r[0]} |" for s, o, r in zip(self.sentences, outputs, self.references)]
        print("\n".join(f"  {s}  ->  {o}" for s, o in zip(self.sentences, outputs)))
        table = "| English | model | a reference |\n|---|---|---|\n" + "\n".join(lines)
        self.run.log_text(f"translations/{self.tag}", table, step=epoch)


def fit(spec: Spec, vocab: Vocab, train_ds, val_ds, val: Split, args, run: Run, tag: str):
    set_seed(args.seed)
    model = training_model(make_layers(spec), spec)
    model.compile(
        optimizer=keras.optimizers.Adam(args.lr, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    )
    samples = SampleTranslations(vocab, val.sources[:4], val.references[:4], run, tag)
    budget = TimeBudget(args.max_minutes, mid_epoch=True)
    # Halve the step size when validation stops improving; keep the best epoch's weights.
    slower = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=args.lr / 16, verbose=1)
    best = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True, verbose=1)
    callbacks = [samples, slower, best, budget, *run.callbacks(histograms=False, resume=False)]
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.TensorBoard):
            callback.log_dir = str(run.log_dir / tag)  # one TensorBoard folder per model
    t0 = time.time()
    history = model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks, verbose=2)
    return model, history.history, time.time() - t0


# %% [markdown]
# ## 7. Putting it together


# %%
def apply_quick(args) -> None:
    if args.quick:
        args.epochs = min(args.epochs, 3)
        args.batch_size = min(args.batch_size, 64)
        args.units = min(args.units, 64)
        args.embed_dim = min(args.embed_dim, 32)
        args.max_words = min(args.max_words, 5)
        args.source_vocab = min(args.source_vocab, 2000)
        args.target_vocab = min(args.target_vocab, 3000)
        args.test_sentences = min(args.test_sentences or 150, 150)
        args.max_minutes = 0


def plot_attention(translator: Translator, sentences, title: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 10))
    for ax, sentence in zip(axes.flat, sentences):
        source_words, french, weights = translator.attention(sentence)
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


def evaluate(translator: Translator, test: Split, beams, alpha: float) -> dict:
    results = {}
    for beam in beams:
        t0 = time.time()
        hypotheses = translator.translate(test.sources, beam=beam, alpha=alpha)
        results[beam] = {
            "bleu": corpus_bleu(hypotheses, test.references),
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


def train(args):
    set_seed(args.seed)
    apply_quick(args)
    if args.beam < 2:
        raise CourseError("--beam must be at least 2 (the table always includes greedy decoding, which is beam 1)")
    run = Run.start(LESSON, cell=args.cell, run_dir=args.run_dir)
    pairs = read_pairs(args.max_words)
    train_split, val, test = split_by_source(pairs, args.seed, limit=args.quick_sources if args.quick else None)
    if args.test_sentences:
        test = Split(test.sources[: args.test_sentences], test.references[: args.test_sentences])
    vocab = Vocab.fit(train_split, args.source_vocab, args.target_vocab)
    train_ds, n_train = training_data(train_split, vocab, args.batch_size, seed=args.seed)
    val_ds, _ = training_data(val, vocab, 512, seed=None)
    print(f"Lesson 05: English -> French. Outputs go to {run.path}")
    print(
        f"{len(pairs):,} pairs of at most {args.max_words} words; split by English sentence: "
        f"{len(train_split.sources):,} / {len(val.sources):,} / {len(test.sources):,} sentences "
        f"({n_train:,} training pairs); vocabularies {len(vocab.source_words):,} English, "
        f"{len(vocab.target_words):,} French words; scoring {len(test.sources):,} test sentences "
        f"against {sum(map(len, test.references)):,} references"
    )
    settings = {"source_words": vocab.source_words, "target_words": vocab.target_words, "models": {}}
    kinds = ["plain", "attention"] if args.models == "both" else [args.models]
    table, metrics, histories = {}, {}, {}
    for kind in kinds:
        spec = Spec(
            len(vocab.source_words),
            len(vocab.target_words),
            args.cell,
            args.units,
            args.embed_dim,
            "none" if kind == "plain" else args.score,
            args.bidirectional,
            args.dropout,
        )
        print(f"\n== {kind} encoder-decoder: {args.cell.upper()}({args.units}), attention {spec.attention} ==")
        model, history, seconds = fit(spec, vocab, train_ds, val_ds, val, args, run, kind)
        histories[kind] = history
        path = run.save_model(model, MODEL_FILES[kind])
        settings["models"][path.name] = asdict(spec)
        (run.path / SETTINGS_FILE).write_text(json.dumps(settings, ensure_ascii=False) + "\n", encoding="utf-8")
        translator = Translator(model, vocab)
        scores = evaluate(translator, test, [1, args.beam], args.alpha)
        table[kind] = scores
        metrics.update(
            {
                f"bleu_{kind}_greedy": scores[1]["bleu"],
                f"bleu_{kind}_beam": scores[args.beam]["bleu"],
                f"train_seconds_{kind}": seconds,
                f"epochs_{kind}": len(history["loss"]),
                f"val_loss_{kind}": min(history["val_loss"]),
                f"bleu_{kind}_beam_by_length": scores[args.beam]["by_length"],
            }
        )
        print(f"test BLEU {kind}: greedy {scores[1]['bleu']:.1f}, beam {args.beam} {scores[args.beam]['bleu']:.1f}")
        for sentence, french in zip(SHOWCASE, translator.translate(SHOWCASE, beam=args.beam, alpha=args.alpha)):
            print(f"  {sentence}  ->  {french}")
        if translator.attends:
            fig = plot_attention(translator, test.sources[:4], f"Attention ({spec.attention}) on test sentences")
            run.save_figure(fig, "attention.png")
        run.save_figure(plots.training_curves(history, title=f"{kind} encoder-decoder"), f"loss_{kind}.png")

    print_table(table, args.beam)
    bars = {f"{k} {'greedy' if b == 1 else f'beam {b}'}": s["bleu"] for k, v in table.items() for b, s in v.items()}
    run.save_figure(plots.bar_table(bars, title="Test BLEU (sacreBLEU, all references)", ylabel="BLEU"), "bleu.png")
    by_length = {kind: scores[args.beam]["by_length"] for kind, scores in table.items()}
    curves = {kind: (list(b), list(b.values())) for kind, b in by_length.items()}
    fig = plots.line_plot(
        curves,
        title=f"Test BLEU by sentence length (beam {args.beam})",
        xlabel="English words (3 = three or fewer)",
        ylabel="BLEU",
    )
    fig.axes[0].set_xticks(sorted({n for b in by_length.values() for n in b}))
    run.save_figure(fig, "bleu_by_length.png")
    for key, value in bars.items():
        run.log_scalar(f"bleu/{key.replace(' ', '_')}", value, step=0)
    run.write_metrics(
        {
            **metrics,
            "beam": args.beam,
            "alpha": args.alpha,
            "test_sentences": len(test.sources),
            "train_pairs": n_train,
            "source_words": len(vocab.source_words),
            "target_words": len(vocab.target_words),
            "cell": args.cell,
            "units": args.units,
        },
        epochs=args.epochs,
        seed=args.seed,
        quick=args.quick,
    )
    run.finish()
    print("Next: the exercises for this lesson: make check EX=ex05   (stuck? make hint EX=ex05a)")
    return run


def print_table(table: dict, beam: int) -> None:
    print(f"\nTest BLEU (sacreBLEU, case-insensitive, all references)\n{'model':<12}{'greedy':>8}{f'beam {beam}':>9}")
    for kind, scores in table.items():
        print(f"{kind:<12}{scores[1]['bleu']:>8.1f}{scores[beam]['bleu']:>9.1f}")


# %% [markdown]
# ## 8. Translating new sentences with a saved model


# %%
def load_translator(model_path: str | None) -> Translator:
    path = Path(model_path) if model_path else newest_model(LESSON)
    settings_path = path.parent / SETTINGS_FILE
    if not settings_path.is_file():
        raise CourseError(f"{settings_path} is missing: it holds the vocabularies the model was trained with")
    settings = json.loads(settings_path.read_text(encoding="utf-8"))
    model = load_model(path, LESSON)
    return Translator(model, Vocab(settings["source_words"], settings["target_words"]))


def predict(args):
    if not args.inputs:
        raise CourseError('give at least one English sentence, e.g. predict "I am cold."')
    blank = [i + 1 for i, sentence in enumerate(args.inputs) if not normalise(sentence)]
    if blank:
        raise CourseError(f"sentence {blank[0]} is empty; give English text to translate")
    translator = load_translator(args.model)
    for sentence, french in zip(args.inputs, translator.translate(args.inputs, beam=args.beam, alpha=args.alpha)):
        print(f"{sentence}  ->  {french}")


def build_parser():
    parser = cli.train_parser(
        LESSON, "English to French with an encoder-decoder, attention and beam search.", epochs=10, batch_size=128
    )
    parser.add_argument(
        "--models",
        choices=["both", "plain", "attention"],
        default="both",
        help="train the plain encoder-decoder, the one with attention, or both (default)",
    )
    parser.add_argument(
        "--score",
        choices=["dot", "additive"],
        default="additive",
        help="attention score: additive (Bahdanau) or dot (Luong) (default additive)",
    )
    parser.add_argument("--bidirectional", action="store_true", help="a bidirectional encoder")
    parser.add_argument("--units", type=cli.positive_int, default=128, help="recurrent units (default 128)")
    parser.add_argument(
        "--dropout", type=cli.fraction, default=0.0, help="dropout on word vectors and decoder outputs (default 0)"
    )
    parser.add_argument("--embed-dim", type=cli.positive_int, default=64, help="word vector size (default 64)")
    parser.add_argument(
        "--max-words",
        type=cli.positive_int,
        default=6,
        help="keep pairs whose sentences have at most this many words (default 6)",
    )
    parser.add_argument("--source-vocab", type=cli.positive_int, default=5000, help="English words kept (default 5000)")
    parser.add_argument("--target-vocab", type=cli.positive_int, default=6000, help="French words kept (default 6000)")
    parser.add_argument("--lr", type=cli.positive_float, default=6e-3, help="Adam learning rate (default 0.006)")
    parser.add_argument("--beam", type=cli.positive_int, default=4, help="beam width for the BLEU table (default 4)")
    parser.add_argument("--alpha", type=float, default=0.6, help="beam length normalisation (default 0.6)")
    parser.add_argument(
        "--test-sentences",
        type=cli.non_negative_int,
        default=1000,
        help="test sentences scored (default 1000; 0 = all)",
    )
    parser.add_argument(
        "--max-minutes",
        type=cli.non_negative_float,
        default=3.5,
        help="stop training a model before this many minutes (default 3.5; 0 = no limit)",
    )
    parser.add_argument("--quick-sources", type=cli.positive_int, default=4000, help=argparse.SUPPRESS)
    return parser


def predict_parser():
    parser = cli.predict_parser(LESSON, "English sentences")
    parser.add_argument("--beam", type=cli.positive_int, default=1, help="beam width (default 1: greedy)")
    parser.add_argument("--alpha", type=float, default=0.6, help="beam length normalisation (default 0.6)")
    return parser


def run(argv=None):
    return cli.run_cli(argv, train=train, parser=build_parser(), predict=predict, predict_args=predict_parser())


if __name__ == "__main__":
    cli.main(run)
