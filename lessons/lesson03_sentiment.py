"""Lesson 03: many-to-one, IMDB movie-review sentiment.

A many-to-one network reads a whole sequence and gives one answer at the end. Here the
sequence is a movie review from the Large Movie Review Dataset (25,000 reviews to train on,
25,000 to test on) and the answer is the probability that the review is positive.

Run it:   make lesson03                       (GRU, about 3 minutes on two cores)
          make lesson03 ARGS="--bidirectional --pooling max --word-dropout 0.2"   (about 5 minutes)
          make lesson03 ARGS="--cell rnn"     (the plain RNN)
          make compare03                      (rnn vs lstm vs gru at the same budget)
          make lesson03 ARGS="--source tfds"  (IMDB through tensorflow-datasets; validation reviews drawn at random)
          make lesson03 ARGS="--workers 2"    (data parallel: two worker processes on TensorFlow, two devices on JAX)
          make lesson03 BACKEND=jax           (Keras' JAX backend; BACKEND=torch is much slower on a CPU,
                                               where its recurrent layers step through time in Python)
Predict:  python -m lessons.lesson03_sentiment predict "A wonderful, moving film."
Notebook: make notebooks, then open lessons/lesson03_sentiment.ipynb
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from course_utils import cli, plots, tfds_source
from course_utils.corpora import load_imdb
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, SourceOption, WorkersOption, configure, flag, show, show_figure
from course_utils.progress import progress
from course_utils.repro import set_seed
from course_utils.runs import Run, display_path, load_model, write_atomic
from course_utils.text import batch_width, bucketed_batches, clean_text, fit_vectorizer, vectorize

LESSON = "lesson03_sentiment"
f"Keras {keras.__version__} on {keras.backend.backend()}"  # a notebook shows the value of a cell's last line

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run
# the lesson again; as a script every field is a flag (`--sequence-length 300`, `--bidirectional`).
# `--quick` (or `COURSE_QUICK=1` in the environment, for a notebook) trains on a small real
# slice of the data in seconds.


# %%
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


config = configure(Config, LESSON)
set_seed(config.seed)
run = Run.start(LESSON, config, cell=config.cell)
print(
    f"Lesson 03: IMDB sentiment with a {config.model_name()}{' (no mask)' if config.no_mask else ''}"
    f"{' (quick)' if config.quick else ''}. Outputs go to {display_path(run.path)}"
)
show(config)

# %% [markdown]
# ## 1. Data
# The official split has 25,000 training and 25,000 test reviews, half positive, and no movie
# appears in both. We carve a validation set out of the training reviews to choose when to
# stop; the test set is used once, at the very end. The validation reviews are whole movies
# too: reviews of the same film share its title, cast and plot words, so a validation set
# drawn from the training movies flatters a model that has memorised them and stops it too
# late. The quick configuration uses a small balanced slice of both.
#
# (`--source tfds` reads the same reviews through tensorflow-datasets, which has no movie ids, so
# its validation reviews are drawn at random: README, "Through tensorflow-datasets".)


# %%
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


splits = load_splits(config)
print("Reviews: " + ", ".join(f"{len(labels):,} {name}" for name, (_, labels) in splits.items()))
print(f"Positive share of the training reviews: {splits['train'][1].mean():.2f}")
example_text, example_label = splits["train"][0][0], splits["train"][1][0]
print(f"\nA training review ({'positive' if example_label else 'negative'}, {len(example_text.split())} words):")
print(example_text[:600] + (" ..." if len(example_text) > 600 else ""))

# %% [markdown]
# ## 2. From text to integers
# `TextVectorization` lower-cases, removes `<br />` tags and punctuation (keeping `!` and `?`),
# splits into words and maps each word to its rank in the training vocabulary (0 is
# padding, 1 is "unknown word"). Reviews are cut to `sequence_length` words and padded at
# the end. Look at the lengths printed below: the median review is short, but a long tail would
# lose its last paragraph at a few hundred words, and that is where reviewers tend to give their
# verdict. The default, 1000 words, keeps nearly every review whole.

# %%
vectorizer = fit_vectorizer(splits["train"][0], max_tokens=config.vocab_size, sequence_length=config.sequence_length)
tokens = {name: vectorize(vectorizer, texts) for name, (texts, _) in splits.items()}
vocabulary = [str(word) for word in vectorizer.get_vocabulary()]
lengths = (tokens["train"] != 0).sum(axis=1)
print(f"Vocabulary: {len(vocabulary):,} entries; the first twelve: {vocabulary[:12]}")
print(
    f"Review length in words: median {int(np.median(lengths))}, 90th percentile {int(np.percentile(lengths, 90))}; "
    f"{np.mean(lengths > 300):.0%} are longer than 300, {np.mean(lengths == config.sequence_length):.1%} are cut "
    f"at {config.sequence_length}"
)
example_ids = tokens["train"][0]
print(f"\nThe review above as ids (first 20 of {int((example_ids != 0).sum())}): {example_ids[:20].tolist()}")
print("and back to words:", " ".join(vocabulary[i] for i in example_ids[:20]))

# %% [markdown]
# ## 3. Batches of similar length, and the mask
# A recurrent layer steps through every position of a batch, padding included. Grouping reviews
# of similar length (`course_utils.text.bucketed_batches`) and cutting each batch to its longest
# review makes an epoch several times cheaper without changing what is learned.
#
# The Embedding layer's `mask_zero=True` then tells the RNN which steps are padding: a masked
# step leaves the hidden state untouched, so the final state is the state after the last real
# word. Without the mask the RNN must read through hundreds of zeros after a short review, and
# its memory of the review fades (`--no-mask --no-bucketing --sequence-length 300` shows what
# that costs, in about three minutes). Here is one batch and its mask:


# %%
def batches(split, shuffle):
    labels = splits[split][1]
    if config.no_bucketing:
        dataset = tf.data.Dataset.from_tensor_slices((tokens[split], labels))
        dataset = dataset.shuffle(len(labels), seed=config.seed) if shuffle else dataset
        dataset = dataset.batch(config.batch_size).prefetch(tf.data.AUTOTUNE)
    else:
        dataset = bucketed_batches((tokens[split], labels), config.batch_size, seed=config.seed if shuffle else None)
    return dataset


batch_tokens, batch_labels = next(batches("train", shuffle=True).as_numpy_iterator())
mask = keras.layers.Embedding(len(vocabulary), 2, mask_zero=True).compute_mask(batch_tokens)
print(f"One training batch: tokens {tuple(batch_tokens.shape)}, labels {tuple(batch_labels.shape)}")
print(
    f"Real words per review in it: {keras.ops.convert_to_numpy(mask).sum(axis=1)[:8].tolist()} ...; "
    f"padding is {1 - keras.ops.convert_to_numpy(mask).mean():.1%} of the batch "
    f"(unbucketed, cut to {config.sequence_length}: {1 - np.mean(tokens['train'] != 0):.1%})"
)

# %% [markdown]
# ## 4. Two small layers of our own
# By default the classifier reads the RNN's last state, so whatever decides the review must
# survive every step after it. `pooling="max"` reads each unit's strongest response over all
# steps instead, which gives every word a short path to the answer. Keras'
# `GlobalMaxPooling1D` ignores the mask, so padding could win the maximum; this layer does not.
# A padded step becomes -1e9 before the max: not 0 (a unit whose real outputs are all negative
# would report 0), and not -inf (a review of nothing but padding would give -inf, and the Dense
# layer after it NaN). Exercise ex03c writes this layer's computation with `keras.ops`:
# `make check EX=ex03c`.


# %%
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


toy = np.array([[[1.0, -2.0], [3.0, -1.0], [9.0, 9.0]]], dtype="float32")  # the last step is padding
toy_mask = np.array([[True, True, False]])
print("max over all steps: ", keras.ops.convert_to_numpy(keras.ops.max(toy, axis=1)).tolist())
print("max over real steps:", keras.ops.convert_to_numpy(MaskedMaxPooling()(toy, mask=toy_mask)).tolist())

# %% [markdown]
# An IMDB model overfits within two or three epochs: it learns that a handful of words decide
# a review. Word dropout replaces a fraction of the words of every training review with the
# unknown-word id (a different fraction each time), so the model must find the evidence spread
# over the whole review. Padding stays padding, and at prediction time every word is kept:


# %%
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


sentence = np.array([[12, 57, 8, 301, 44, 9, 0, 0]], dtype="int32")
print("training:  ", keras.ops.convert_to_numpy(WordDropout(0.3, seed=1)(sentence, training=True)).tolist())
print("predicting:", keras.ops.convert_to_numpy(WordDropout(0.3, seed=1)(sentence)).tolist())

# %% [markdown]
# ## 5. The model
# Embedding -> SimpleRNN / LSTM / GRU (`cell`), optionally bidirectional and stacked, then the
# last state (or the pooled outputs) -> dropout -> one sigmoid unit: P(positive).


# %%
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


with run.scope():  # with --workers, every worker builds a copy (README, "More than one process")
    model = build_model(len(vocabulary), config, steps_per_epoch=-(-len(splits["train"][1]) // config.batch_size))
model.summary()
untrained = keras.ops.convert_to_numpy(model(batch_tokens[:4], training=False))[:, 0]
print("Untrained, it knows nothing: P(positive) for four reviews =", ", ".join(f"{p:.3f}" for p in untrained))

# %% [markdown]
# ## 6. The baseline to beat
# Logistic regression on which words and word pairs a review contains ignores word order
# beyond two words, yet on long reviews it is very hard to beat: a handful of sentiment
# words carry most of the signal. It is the yardstick the RNN has to be measured against.
#
# Each review becomes a row of zeros and ones, one per word or word pair kept (4 x `vocab_size`,
# 80,000 by default), of which a few hundred are 1, so the rows are stored sparse.


# %%
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


baseline = bigram_baseline(splits, max_tokens=4 * config.vocab_size, seed=config.seed, run=run)
set_seed(config.seed)  # the baseline drew random numbers; the RNN's training starts from the same seed every time
print(f"Bag-of-bigrams baseline: test accuracy {baseline:.4f}")

# %% [markdown]
# ## 7. Training
# One line per epoch: loss and accuracy on the training reviews, then on the validation movies.
# Training stops early when validation accuracy has not improved for two epochs, and keeps the
# best epoch's weights. `--lr-decay` lowers Adam's step along a cosine to 5% of it by the last
# planned epoch, for longer runs. `run.fit` calls `model.fit` with the run's callbacks: TensorBoard logs,
# and a backup after every epoch, so an interrupted run resumes from its last finished epoch
# (`--run-dir` with the run's folder).
#
# `--workers 2` trains one model on two worker processes (README, "More than one process").


# %%
stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=2, restore_best_weights=True)
history = run.fit(
    model,
    batches("train", shuffle=True),
    validation_data=batches("val", shuffle=False),
    epochs=config.epochs,
    callbacks=[stop],
)
show_figure(plots.training_curves(history.history, title=f"IMDB, {config.model_name()}"), run, "training_curves.png")
best_epoch = int(np.argmax(history.history["val_accuracy"]))
model = run.local_copy(model)  # with --workers, a copy that predicts on this worker alone
print(
    f"Best validation accuracy {history.history['val_accuracy'][best_epoch]:.4f} after epoch {best_epoch + 1}; "
    "those are the weights kept"
)

# %% [markdown]
# ## 8. Evaluation
# Accuracy on the test reviews, next to the baseline, a confusion matrix, and the reviews the
# model was most sure about and still got wrong: reading those is the fastest way to learn what
# the model does not understand (sarcasm, "not bad", reviews that recount a plot).


# %%
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


test_texts, test_labels = splits["test"]
probabilities = predict_probabilities(model, tokens["test"])
predicted = (probabilities > 0.5).astype(int)
test_accuracy = float(np.mean(predicted == test_labels))
matrix = confusion_matrix(test_labels, predicted)
show_figure(
    plots.heatmap(
        matrix,
        row_labels=["negative", "positive"],
        col_labels=["negative", "positive"],
        title=f"Test confusion matrix (accuracy {test_accuracy:.3f})",
        xlabel="predicted",
        ylabel="true",
        fmt="{:.0f}",
    ),
    run,
    "confusion_matrix.png",
)
print(f"Test accuracy ({len(test_labels):,} reviews): {test_accuracy:.4f}   bag-of-bigrams baseline {baseline:.4f}")


# %%
def confidently_wrong(texts, labels, probabilities, count=8):
    wrong = np.flatnonzero((probabilities > 0.5).astype(int) != labels)
    worst = wrong[np.argsort(-np.abs(probabilities[wrong] - 0.5))][:count]
    rows = ["| p(positive) | true label | review (first 300 characters) |", "|---|---|---|"]
    for i in worst:
        snippet = " ".join(texts[i].replace("<br />", " ").split())[:300].replace("|", "/")
        rows.append(f"| {probabilities[i]:.3f} | {'positive' if labels[i] else 'negative'} | {snippet} |")
    return "\n".join(rows)


wrong_table = confidently_wrong(test_texts, test_labels, probabilities)
write_atomic(run.file("confidently_wrong.md"), "# Most confidently wrong test reviews\n\n" + wrong_table + "\n")
run.log_text("confidently_wrong", wrong_table, step=len(history.history["loss"]))
show(wrong_table)

# %% [markdown]
# ## 9. Saving the model, with its preprocessing
# The saved model has the vectorizer in front, so it takes raw text. `metrics.json` records the
# results, the training history and the whole configuration above.


# %%
def end_to_end(vectorizer, model):
    """The trained model with its text preprocessing in front: raw strings in, probability out."""
    text = keras.Input(shape=(1,), dtype="string", name="review")
    return keras.Model(text, model(vectorizer(text)), name="imdb_sentiment")


model_file = run.save_model(end_to_end(vectorizer, model))
results = {"test_accuracy": test_accuracy, "baseline_test_accuracy": baseline, "confusion_matrix": matrix}
results["val_accuracy"] = max(history.history["val_accuracy"])
sizes = {f"{name}_size": len(labels) for name, (_, labels) in splits.items()}
run.write_metrics(results, config, learning_rate=config.step_size(), mask=not config.no_mask, **sizes)
run.finish()

# %% [markdown]
# ## 10. Using the model
# The reloaded model reads reviews it has never seen. On the TensorFlow backend it can be called
# on strings directly (`reloaded(tf.constant([[review]]))`); Keras' JAX and PyTorch backends have
# no string tensors, so `review_probabilities` calls its two parts in turn, the vectorizer and then
# the network, which works on every backend. The same thing from the command line:
# `python -m lessons.lesson03_sentiment predict "A wonderful, moving film."`


# %%
def review_probabilities(model, texts, batch_size=256):
    """P(positive) for each raw review, from a saved end-to-end model (layers: input, vectorizer, network)."""
    vectorizer, network = model.layers[1], model.layers[-1]
    parts = []
    for start in range(0, len(texts), batch_size):
        tokens = keras.ops.convert_to_numpy(vectorizer(tf.constant(texts[start : start + batch_size])))
        parts.append(keras.ops.convert_to_numpy(network(tokens))[:, 0])
    return np.concatenate(parts)


reloaded = load_model(model_file, LESSON)
new_reviews = [
    "A wonderful, moving film. I loved every minute of it.",
    "Terrible and boring, a complete waste of time.",
    "Not bad at all, though the ending drags.",
]
for review, p in zip(new_reviews, review_probabilities(reloaded, new_reviews)):
    print(f"{p:.3f}  {'positive' if p > 0.5 else 'negative':<8}  {review}")

# %% [markdown]
# How this run compares with published results on the same test set. The protocols differ, and
# the table says how: fewer words kept or read, a different validation set, a different kind of
# model. A test accuracy is comparable only together with the protocol that produced it.


# %%
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


if config.quick:
    print("A quick run (3,000 training and 1,000 test reviews): its numbers are not comparable with these.")
show(published_table(config, test_accuracy, baseline, len(history.history["loss"])))
print(
    '\nNext: try `make lesson03 ARGS="--cell rnn"`, then the exercises: make check EX=ex03'
    "   (stuck? make hint EX=ex03a)\nThen quiz1, a masked GRU classifier's forward pass in NumPy: make check EX=quiz1"
)
