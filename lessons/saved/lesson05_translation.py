"""The definitions of lessons/lesson05_translation.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
import argparse
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
import keras
import numpy as np
import tensorflow as tf
from course_utils import CourseError, cli, data, plots
from course_utils.bleu import reference_streams
from course_utils.decoding import decode, length_normalised, next_token_log_probs
from course_utils.inputs import read_json, text_inputs
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, flag
from course_utils.runs import Run, TimeBudget, load_model, newest_model
from course_utils.text import bucketed_batches


LESSON = "lesson05_translation"


SETTINGS_FILE = "translation.json"  # vocabularies and model settings, saved next to the models


START = "[start]"  # the decoder's first input


END = "[end]"  # what the decoder writes when the sentence is done


VALIDATION_FRACTION = 0.05


TEST_FRACTION = 0.10


MODEL_FILES = {"plain": "model_plain.keras", "attention": "model.keras"}


SHOWCASE = ["I am cold.", "Where is the station?", "She doesn't like cats.", "We have to go home now."]


@dataclass
class Config(LessonConfig):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(10, "training epochs", type=cli.positive_int)
    batch_size: int = flag(128, "batch size", type=cli.batch_size)
    models: str = flag(
        "both",
        "train the plain encoder-decoder, the one with attention, or both",
        choices=("both", "plain", "attention"),
    )
    score: str = flag("additive", "attention score: additive (Bahdanau) or dot (Luong)", choices=("dot", "additive"))
    bidirectional: bool = flag(False, "a bidirectional encoder")
    units: int = flag(128, "recurrent units", type=cli.layer_size)
    dropout: float = flag(0.0, "dropout on word vectors and decoder outputs", type=cli.fraction)
    embed_dim: int = flag(64, "word vector size", type=cli.layer_size)
    max_words: int = flag(6, "keep pairs whose sentences have at most this many words", type=cli.positive_int)
    source_vocab: int = flag(5000, "English words kept", type=cli.int_between(3, 1_000_000, "more than the data has"))
    target_vocab: int = flag(
        6000,
        "French words kept (with the start and end markers)",
        type=cli.int_between(10, 1_000_000, "more than the data has"),
    )
    lr: float = flag(6e-3, "Adam learning rate", type=cli.learning_rate)
    beam: int = flag(4, "beam width for the BLEU table", type=cli.beam_width)
    alpha: float = flag(0.6, "beam length normalisation", type=cli.length_penalty)
    test_sentences: int = flag(1000, "test sentences scored (0 = all)", type=cli.non_negative_int)
    max_minutes: float = flag(
        3.5, "stop training a model before this many minutes (0 = no limit)", type=cli.non_negative_float
    )
    quick_sources: int | None = flag(
        None, argparse.SUPPRESS, type=cli.positive_int
    )  # English sentences kept (None: all)

    QUICK = {
        "epochs": 3,
        "batch_size": 64,
        "units": 64,
        "embed_dim": 32,
        "max_words": 5,
        "source_vocab": 2000,
        "target_vocab": 3000,
        "test_sentences": 150,
        "max_minutes": 0,
        "quick_sources": 4000,
    }

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


def spec_for(kind: str, vocab: Vocab, config: Config) -> Spec:
    """The settings of the ``kind`` ("plain" or "attention") model this configuration trains."""
    attention = "none" if kind == "plain" else config.score
    return Spec(
        len(vocab.source_words),
        len(vocab.target_words),
        config.cell,
        config.units,
        config.embed_dim,
        attention,
        config.bidirectional,
        config.dropout,
    )


def build_model(spec: Spec, learning_rate: float) -> keras.Model:
    """The training model, compiled: cross-entropy of the next French word, padding ignored."""
    model = training_model(make_layers(spec), spec)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    )
    return model


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
        self.scores_model = None
        if self.attends:
            target_in = keras.Input((None,), dtype="int32", name="target_in")
            _, _, weights = decoder(layers, target_in, states, encoder_outputs, source)
            self.scores_model = keras.Model([source, target_in], weights)

    def step(self, tokens, state):
        inputs = [tokens[:, None].astype("int32"), *state["rnn"]]
        if self.attends:
            inputs += [state["encoder_outputs"], state["source"]]
        # predict_on_batch: NumPy in, NumPy out, compiled once per input shape on every backend
        # (a tf.function on TensorFlow, jax.jit on JAX); the shapes stay the same for a whole search
        logits, *states = self.step_model.predict_on_batch(inputs)
        # Padding and [start] are never written, and neither is [UNK]: a rare word the vocabulary
        # lacks is better guessed than written as [UNK], which matches no reference.
        log_probs = next_token_log_probs(logits[:, 0, :], banned=[0, 1, self.vocab.start_id])
        return log_probs, {**state, "rnn": states}

    def search(self, source: np.ndarray, beam: int = 1, alpha: float = 0.6, max_length: int | None = None):
        """The best French ids for each row of English ids (greedy when ``beam`` is 1), and their log-probabilities."""
        encoder_outputs, *states = self.encoder.predict_on_batch(source)
        state = {"rnn": states, "encoder_outputs": encoder_outputs, "source": source}
        longest = int((source != 0).sum(1).max())
        return decode(
            self.step,
            state,
            beam_size=beam,
            alpha=alpha,
            batch_size=len(source),
            start_id=self.vocab.start_id,
            end_id=self.vocab.end_id,
            max_length=max_length or 2 * longest + 5,
        )

    def translate(self, sentences, beam: int = 1, alpha: float = 0.6, batch: int = 256, scores: bool = False):
        """French for each sentence; with ``scores``, also the model's score of each translation.

        The score is what beam search maximises: the log-probability of the French words and
        [end], divided by their number to the power ``alpha``.
        """
        out, score = [], []
        for i in range(0, len(sentences), batch):
            source = self.vocab.encode_source(list(sentences[i : i + batch]))
            if source.shape[1] == 0:
                source = np.zeros((len(source), 1), dtype="int32")
            found = self.search(source, beam, alpha)
            out += [self.vocab.detokenize(t) for t in found.tokens]
            score += [length_normalised(p, len(t) + 1, alpha) for t, p in zip(found.tokens, found.log_probs)]
        return (out, score) if scores else out

    def attention(self, sentence: str, beam: int = 1):
        """(source words, French words written, weights[french, english]) for one sentence."""
        source = self.vocab.encode_source([sentence])
        written = self.search(source, beam).tokens[0] + [self.vocab.end_id]
        target_in = np.array([[self.vocab.start_id, *written[:-1]]], dtype="int32")
        weights = keras.ops.convert_to_numpy(self.scores_model([source, target_in]))[0]
        source_words = self.vocab.source_tokens(sentence)
        return source_words, self.vocab.words(written), weights[:, : len(source_words)]


def corpus_bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    import sacrebleu

    return float(sacrebleu.corpus_bleu(hypotheses, reference_streams(references), lowercase=True).score)


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
    history = run.fit(
        model,
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        callbacks=[samples, slower, best, budget],
        phase=tag,
        histograms=False,
    )
    return history.history, history.seconds


def unigram_loss(train: Split, val: Split, vocab: Vocab) -> float:
    """Validation loss of a decoder that ignores the English and the words before: French word frequencies."""

    def targets(split):
        ids = vocab.encode_target([french for _, french in split.pairs()])[:, 1:]  # what the decoder must write
        return ids[ids != 0]

    frequencies = np.bincount(targets(train), minlength=len(vocab.target_words)) + 1.0  # +1: no zero probability
    return float(-np.mean(np.log(frequencies / frequencies.sum())[targets(val)]))


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


PREDICT_INPUT = "English sentences"


MAX_SENTENCE_CHARS = 1000  # the model learned from sentences of a few words


def predict_flags(parser):
    parser.add_argument("--beam", type=cli.beam_width, default=1, help="beam width (default 1: greedy)")
    parser.add_argument(
        "--alpha", type=cli.length_penalty, default=0.6, help="beam length normalisation, 0 to 2 (default 0.6)"
    )


def load_translator(model_path: str | None) -> Translator:
    path = Path(model_path) if model_path else newest_model(LESSON)
    what = "the vocabularies the model was trained with"
    settings = read_json(path.parent / SETTINGS_FILE, what, keys=("source_words", "target_words"))
    model = load_model(path, LESSON)
    return Translator(model, Vocab(settings["source_words"], settings["target_words"]))


def predict(args):
    if not args.inputs:
        raise CourseError('give at least one English sentence, e.g. predict "I am cold."')
    sentences = text_inputs(args.inputs, "an English sentence", MAX_SENTENCE_CHARS)
    blank = [i + 1 for i, sentence in enumerate(sentences) if not normalise(sentence)]
    if blank:
        raise CourseError(f"sentence {blank[0]} is empty; give English text to translate")
    translator = load_translator(args.model)
    for sentence, french in zip(sentences, translator.translate(sentences, beam=args.beam, alpha=args.alpha)):
        print(f"{sentence}  ->  {french}")
