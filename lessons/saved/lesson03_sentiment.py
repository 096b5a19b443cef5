"""The definitions of lessons/lesson03_sentiment.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
from dataclasses import dataclass
import keras
import numpy as np
import tensorflow as tf
from course_utils import cli, tfds_source
from course_utils.corpora import load_imdb
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, SourceOption, WorkersOption, flag
from course_utils.progress import progress
from course_utils.text import batch_width, clean_text


LESSON = "lesson03_sentiment"


@dataclass
class Config(LessonConfig, WorkersOption, SourceOption):
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(3, "training epochs", type=cli.positive_int)
    batch_size: int = flag(64, "batch size", type=cli.batch_size)
    vocab_size: int = flag(20000, "words kept", type=cli.int_between(3, 1_000_000, "more words than IMDB has"))
    sequence_length: int = flag(1000, "words kept per review (nearly every review whole)", type=cli.sequence_length)
    embedding_dim: int = flag(64, "embedding size", type=cli.layer_size)
    units: int = flag(64, "RNN units", type=cli.layer_size)
    layers: int = flag(1, "stacked RNN layers", type=cli.layer_count)
    bidirectional: bool = flag(False, "read each review in both directions")
    pooling: str = flag(
        "last", "classify from the last state, or all steps' mean or max", choices=("last", "mean", "max")
    )
    dropout: float = flag(0.3, "dropout before the output", type=cli.fraction)
    word_dropout: float = flag(0.0, "fraction of training words replaced by the unknown word", type=cli.fraction)
    learning_rate: float | None = flag(None, "Adam step (default 2e-3, or 1e-3 for --cell rnn)", type=cli.learning_rate)
    lr_decay: bool = flag(False, "lower Adam's step along a cosine to 5% of it over the planned epochs")
    no_mask: bool = flag(False, "do not mask padding (to see why masking matters)")
    no_bucketing: bool = flag(False, "batch reviews in random order, not by length")

    QUICK = {"epochs": 2}

    def step_size(self) -> float:
        """Adam's step: 2e-3 for the gated cells, half that for a SimpleRNN, whose gradients swing more (lesson 02)."""
        if self.learning_rate is not None:
            return self.learning_rate
        return 1e-3 if self.cell == "rnn" else 2e-3

    def model_name(self) -> str:
        pooling = f", {self.pooling} pooling" if self.pooling != "last" else ""
        return f"{'bidirectional ' if self.bidirectional else ''}{self.cell.upper()}{pooling}"


def held_out_movies(movies, fraction, seed):
    """A mask choosing whole movies, in random order, until they hold ``fraction`` of the reviews."""
    names, counts = np.unique(movies, return_counts=True)
    order = np.random.default_rng(seed).permutation(len(names))
    chosen = order[: np.searchsorted(np.cumsum(counts[order]), fraction * len(movies)) + 1]
    return np.isin(movies, names[chosen])


def load_splits(config):
    """Train, validation (whole movies) and test reviews with their labels."""
    train_limit, test_limit = (3000, 1000) if config.quick else (None, None)
    if config.source == "tfds":
        texts, labels, test_texts, test_labels, val = tfds_source.imdb_with_random_validation(
            train_limit, test_limit, config.seed
        )
    else:
        texts, labels, movies = load_imdb("train", limit=train_limit, seed=config.seed)
        test_texts, test_labels, _ = load_imdb("test", limit=test_limit, seed=config.seed)
        val = held_out_movies(movies, fraction=0.1, seed=config.seed)
        print(f"{len(set(movies[val]))} of {len(set(movies))} training movies held out for validation")
    return {
        "train": ([t for t, v in zip(texts, val) if not v], labels[~val]),
        "val": ([t for t, v in zip(texts, val) if v], labels[val]),
        "test": (test_texts, test_labels),
    }


@keras.saving.register_keras_serializable(package="course_lesson03")
class MaskedMaxPooling(keras.layers.Layer):
    """The largest value of each feature over the real steps (Keras' GlobalMaxPooling1D ignores masks)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is not None:
            x = keras.ops.where(keras.ops.expand_dims(mask, -1), x, keras.ops.full_like(x, -1e9))
        return keras.ops.max(x, axis=1)

    def compute_mask(self, x, mask=None):
        return None


@keras.saving.register_keras_serializable(package="course_lesson03")
class WordDropout(keras.layers.Layer):
    """While training, replace each word id by 1 (unknown word) with probability ``rate``; padding stays 0."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, tokens, training=None):
        if not training or not self.rate:
            return tokens
        dropped = keras.random.uniform(keras.ops.shape(tokens), seed=self.seed_generator) < self.rate
        return keras.ops.where(dropped & (tokens > 1), keras.ops.ones_like(tokens), tokens)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def adam_step(config, steps_per_epoch=None):
    """Adam's learning rate: constant, or with --lr-decay a cosine from it down to 5% of it at the last epoch."""
    if not (config.lr_decay and steps_per_epoch):
        return config.step_size()
    return keras.optimizers.schedules.CosineDecay(config.step_size(), config.epochs * steps_per_epoch, alpha=0.05)


def build_model(vocab_size, config, steps_per_epoch=None):
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = tokens
    if config.word_dropout:
        x = WordDropout(config.word_dropout, seed=config.seed, name="word_dropout")(x)
    x = keras.layers.Embedding(vocab_size, config.embedding_dim, mask_zero=not config.no_mask, name="embedding")(x)
    for i in range(config.layers):
        last = i == config.layers - 1
        layer = recurrent_layer(
            config.cell,
            config.units,
            return_sequences=not last or config.pooling != "last",
            name=f"{config.cell}_{i + 1}",
        )
        if config.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{i + 1}")
        x = layer(x)
    if config.pooling == "mean":  # average the outputs of every real step (the mask skips padding)
        x = keras.layers.GlobalAveragePooling1D(name="mean_over_time")(x)
    if config.pooling == "max":  # each unit's strongest response anywhere in the review
        x = MaskedMaxPooling(name="max_over_time")(x)
    x = keras.layers.Dropout(config.dropout)(x)
    probability = keras.layers.Dense(1, activation="sigmoid", name="positive")(x)
    model = keras.Model(tokens, probability, name=f"imdb_{config.cell}")
    model.compile(
        optimizer=keras.optimizers.Adam(adam_step(config, steps_per_epoch), clipnorm=1.0),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def bigram_baseline(splits, max_tokens, seed, run):
    """Test accuracy of logistic regression on which words and word pairs occur (multi-hot)."""
    sparse = keras.backend.backend() == "tensorflow"  # Keras' TextVectorization(sparse=True) exists only there
    # clean_text runs before the layer (standardize=None): elsewhere Keras would hand it NumPy arrays
    features = keras.layers.TextVectorization(
        max_tokens, standardize=None, ngrams=2, output_mode="multi_hot", sparse=sparse
    )
    features.adapt(tf.data.Dataset.from_tensor_slices(list(splits["train"][0])).batch(1024).map(clean_text))

    def multi_hot(texts):
        rows = features(clean_text(texts))
        return rows if sparse else tf.sparse.from_dense(tf.cast(rows, "float32"))

    def dataset(split):
        texts, labels = splits[split]
        data = (
            tf.data.Dataset.from_tensor_slices((texts, labels))
            .batch(256)
            .map(lambda t, y: (multi_hot(t), y), num_parallel_calls=tf.data.AUTOTUNE)
            .cache()
        )
        return data if sparse else data.map(lambda x, y: (tf.sparse.to_dense(x), y))

    keras.utils.set_random_seed(seed)
    classifier = keras.Sequential(
        [keras.Input((features.vocabulary_size(),), sparse=sparse), keras.layers.Dense(1, activation="sigmoid")]
    )
    classifier.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1, restore_best_weights=True)
    run.fit(  # model.fit, with a backup for resuming (section 7)
        classifier,
        dataset("train").shuffle(16, seed=seed),
        validation_data=dataset("val"),
        epochs=8,
        callbacks=[stop],
        phase="baseline",
        histograms=False,
        verbose=0,
    )
    return float(classifier.evaluate(dataset("test"), verbose=0)[1])


def predict_probabilities(model, tokens, batch_size=256):
    """P(positive) for every row of ``tokens``, in batches of similar length cut to their longest.

    On JAX, where every new shape is compiled anew, to one of a few fixed lengths instead (as in training).
    """
    lengths = np.maximum((tokens != 0).sum(axis=1), 1)
    order = np.argsort(lengths, kind="stable")
    result = np.empty(len(tokens), dtype="float32")
    for start in progress(range(0, len(order), batch_size), what=f"predicting {len(tokens):,} reviews", unit="batch"):
        rows = order[start : start + batch_size]
        width = batch_width(lengths[rows].max(), tokens.shape[1])
        result[rows] = model.predict_on_batch(tokens[rows, :width])[:, 0]
    return result


def confusion_matrix(labels, predicted):
    matrix = np.zeros((2, 2), dtype=int)
    for gold, guess in zip(labels, predicted):
        matrix[gold, guess] += 1
    return matrix


def confidently_wrong(texts, labels, probabilities, count=8):
    wrong = np.flatnonzero((probabilities > 0.5).astype(int) != labels)
    worst = wrong[np.argsort(-np.abs(probabilities[wrong] - 0.5))][:count]
    rows = ["| p(positive) | true label | review (first 300 characters) |", "|---|---|---|"]
    for i in worst:
        snippet = " ".join(texts[i].replace("<br />", " ").split())[:300].replace("|", "/")
        rows.append(f"| {probabilities[i]:.3f} | {'positive' if labels[i] else 'negative'} | {snippet} |")
    return "\n".join(rows)


def end_to_end(vectorizer, model):
    """The trained model with its text preprocessing in front: raw strings in, probability out."""
    text = keras.Input(shape=(1,), dtype="string", name="review")
    return keras.Model(text, model(vectorizer(text)), name="imdb_sentiment")


def review_probabilities(model, texts, batch_size=256):
    """P(positive) for each raw review, from a saved end-to-end model (layers: input, vectorizer, network)."""
    vectorizer, network = model.layers[1], model.layers[-1]
    parts = []
    for start in range(0, len(texts), batch_size):
        tokens = keras.ops.convert_to_numpy(vectorizer(tf.constant(texts[start : start + batch_size])))
        parts.append(keras.ops.convert_to_numpy(network(tokens))[:, 0])
    return np.concatenate(parts)


PUBLISHED = [  # (model, test accuracy, protocol)
    ('keras.io, "Bidirectional LSTM on IMDB"', 0.8428, "2 epochs, first 200 words; its validation set is the test set"),
    (
        "Géron, masked GRU (handson-ml3, notebook 16)",
        0.8548,
        "1,000-word vocabulary; validation split of the training reviews",
    ),
    ("NBSVM-bigrams (Wang & Manning 2012)", 0.9122, "a linear model on word and bigram counts, not an RNN"),
]


def published_table(config, test_accuracy, baseline, epochs_run):
    validation = "random training reviews" if config.source == "tfds" else "whole held-out movies"
    ours = f"{config.vocab_size:,}-word vocabulary, up to {config.sequence_length:,} words, {epochs_run} epochs"
    rows = [
        "| model | test accuracy | protocol |",
        "|---|---|---|",
        f"| this run: {config.model_name()} | {test_accuracy:.4f} | {ours}; validation: {validation} |",
        f"| this run: bag-of-bigrams baseline | {baseline:.4f} | logistic regression, same data and validation |",
    ]
    rows += [f"| {name} | {accuracy:.4f} | {protocol} |" for name, accuracy, protocol in PUBLISHED]
    return "\n".join(rows)
