"""Lesson 04: synced many-to-many, one tag per word (part of speech, then named entities).

What you will see:
1. Universal Dependencies English EWT (12,544 training sentences of web text) read from
   CoNLL-U, and a counting baseline: give every word the tag it had most often in training.
2. A tagger built from three views of each word: a learned word embedding, a small CNN over
   the word's characters (so "blorptastic" still looks like an adjective), and its casing.
   A bidirectional RNN reads the sentence both ways and a softmax at every step picks a tag.
   Padding is masked, in the loss and in the accuracy: only real words count.
3. Test-set token accuracy, accuracy on words never seen in training, precision / recall / F1
   per tag, a confusion matrix (confusion_matrix.png), and test sentences printed with the
   predicted and gold tags, mistakes marked with ^.
4. With --task ner: the same network finds people, places, organisations and other names in
   CoNLL-2003 Reuters news, scored the standard (conlleval) way: an entity counts only when
   its type and its exact span are both right.

Run it:  make lesson04                     (part of speech, about 4 minutes on 2 cores)
         make lesson04 ARGS="--task ner"   (named entities)
         make lesson04 ARGS="--train my.train --dev my.dev --test my.test --columns 1,2"
Predict: python -m lessons.lesson04_tagging predict "The quick brown fox jumped over the lazy dog."
         (then try made-up words: "the blorptastic flurbs wuzzled quickly" -- the characters decide)
Best settings (bench): --layers 2 --epochs 8 reaches UPOS 0.95; --task ner --layers 2 --epochs 8 entity F1 0.82.
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from course_utils import CourseError, cli, conll, data, plots
from course_utils.repro import set_seed
from course_utils.runs import Run, load_model, newest_model

LESSON = "lesson04_tagging"
WORD_CHARS = 16  # longer words keep their first and last 8 characters: prefixes and suffixes carry the tag
MAX_CHARS = WORD_CHARS + 2  # plus begin- and end-of-word markers
PAD, UNK, BOW, EOW = "<pad>", "<unk>", "<w>", "</w>"

BENCHMARKS = [
    {
        "name": "pos-default",
        "args": [],
        "report": ["test_accuracy", "test_accuracy_unseen", "baseline_accuracy", "train_seconds"],
        "target": "make lesson04 (defaults) <= 300 s",
    },
    {
        "name": "pos",
        "args": ["--layers", "2", "--epochs", "8"],
        "report": ["test_accuracy", "test_accuracy_unseen", "baseline_accuracy", "train_seconds"],
        "target": "UD EWT UPOS test accuracy >= 0.95 from scratch, <= 600 s",
    },
    {
        "name": "ner",
        "args": ["--task", "ner", "--layers", "2", "--epochs", "8"],
        "report": ["test_entity_f1", "test_entity_precision", "test_entity_recall", "baseline_entity_f1",
                   "train_seconds"],
        "target": "CoNLL-2003 testb entity F1 >= 0.80 from scratch, <= 900 s",
    },
]

# %% [markdown]
# ## 1. The data: one tag per word
# A CoNLL-U file has one word a line and ten tab-separated columns; we keep FORM (the word)
# and UPOS (its universal part of speech, 17 tags). Lines starting with `#` are comments,
# `1-2` lines are contractions ("don't" = "do" + "n't") whose parts follow, and `8.1` lines
# are empty nodes: both are skipped (course_utils/conll.py). CoNLL-2003 has four
# space-separated columns and IOB1 entity tags, which we turn into IOB2 (every entity starts
# with B-) before training, so that the model learns one clear rule.


# %%
def conll2003_file(split: str) -> Path:
    """The CoNLL-2003 file for ``split``; it has no public download, so say where to put it."""
    dataset = data.REGISTRY[f"conll2003_{split}"]
    local = data.data_root() / dataset.path
    if not local.is_file():
        raise CourseError(
            f"CoNLL-2003 is not on this machine and cannot be downloaded automatically (Reuters licence). "
            f"Get eng.train, eng.testa and eng.testb as {dataset.url} explains and put them in "
            f"{local.parent} (or set COURSE_DATA_DIR to a folder holding conll2003/eng.*)"
        )
    return data.fetch(dataset.name)


def load_corpus(args):
    """{"train", "dev", "test"} -> lists of (tokens, tags), and a description of the source."""
    own = [args.train, args.dev, args.test]
    if any(own):
        if not all(own):
            raise CourseError("give --train, --dev and --test together (three files of your own)")
        token_col, tag_col = args.columns or (None, None)
        splits = {
            name: conll.read_tagged(path, token_col, tag_col)
            for name, path in zip(("train", "dev", "test"), own)
        }
        source = f"your files ({args.train}, {args.dev}, {args.test})"
    elif args.task == "pos":
        splits = {s: conll.read_conllu(data.fetch(f"ud_english_ewt_{s}")) for s in ("train", "dev", "test")}
        source = "UD English EWT r2.16 (UPOS)"
    else:
        files = {"train": "train", "dev": "testa", "test": "testb"}
        splits = {s: conll.read_columns(conll2003_file(f), 1, 4) for s, f in files.items()}
        source = "CoNLL-2003 English (dev = testa, test = testb)"
    for name, sentences in splits.items():
        if not sentences:
            raise CourseError(f"the {name} data has no sentences")
    if args.task == "ner":
        splits = {s: [(w, conll.iob1_to_iob2(t)) for w, t in sents] for s, sents in splits.items()}
    if args.quick:
        splits = {"train": splits["train"][:1500], "dev": splits["dev"][:300], "test": splits["test"][:500]}
    return splits, source


def most_frequent_tag_baseline(train):
    """Tag each word with its most frequent training tag; unseen words get the commonest tag."""
    per_word = defaultdict(Counter)
    overall = Counter()
    for tokens, tags in train:
        for token, tag in zip(tokens, tags):
            per_word[token.lower()][tag] += 1
            overall[tag] += 1
    best = {word: counts.most_common(1)[0][0] for word, counts in per_word.items()}
    default = overall.most_common(1)[0][0]
    return lambda tokens: [best.get(t.lower(), default) for t in tokens]


# %% [markdown]
# ## 2. Turning words into numbers, three ways
# * the word itself, lower-cased with digits replaced by 0, looked up in a vocabulary of
#   words seen at least twice in training (rarer ones become `<unk>`, so the model also
#   learns what to do with a word it does not know);
# * its characters, up to 16 of them, for the character CNN;
# * its casing (lower, Title, UPPER, digits, ...), which the lower-cased word has lost and
#   which matters a lot for names.


# %%
CASES = ["<pad>", "lower", "title", "upper", "digits", "has_digit", "other"]


def casing(word: str) -> int:
    if word.isdigit():
        return CASES.index("digits")
    if any(c.isdigit() for c in word):
        return CASES.index("has_digit")
    if word.islower():
        return CASES.index("lower")
    if word.isupper():
        return CASES.index("upper")
    if word[:1].isupper():
        return CASES.index("title")
    return CASES.index("other")


def normalise(word: str) -> str:
    return re.sub(r"\d", "0", word.lower())


def word_chars(word: str) -> list[str]:
    """The characters the CNN sees, framed by markers so that a filter can tell "ing" at the end
    of a word (a verb or noun ending) from "ing" at the start ("ingredient")."""
    half = WORD_CHARS // 2
    clipped = word if len(word) <= WORD_CHARS else word[:half] + word[-half:]
    return [BOW, *clipped, EOW]


def build_vocab(train, task, min_count=2):
    words = Counter(normalise(w) for tokens, _ in train for w in tokens)
    chars = Counter(c for tokens, _ in train for w in tokens for c in w)
    tags = sorted({t for _, tags in train for t in tags})
    return {
        "task": task,
        "words": [PAD, UNK] + sorted(w for w, n in words.items() if n >= min_count),
        "chars": [PAD, UNK, BOW, EOW] + sorted(c for c, n in chars.items() if n >= 2),
        "tags": tags,
        "max_chars": MAX_CHARS,
    }


class Encoder:
    """Maps tokens to the model's three integer inputs and tag ids back to tags."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.word_index = {w: i for i, w in enumerate(vocab["words"])}
        self.char_index = {c: i for i, c in enumerate(vocab["chars"])}
        self.tag_index = {t: i for i, t in enumerate(vocab["tags"])}

    def inputs(self, tokens):
        words = np.array([self.word_index.get(normalise(w), 1) for w in tokens], dtype="int32")
        chars = np.zeros((len(tokens), MAX_CHARS), dtype="int32")
        for i, w in enumerate(tokens):
            ids = [self.char_index.get(c, 1) for c in word_chars(w)]
            chars[i, : len(ids)] = ids
        case = np.array([casing(w) for w in tokens], dtype="int32")
        return words, chars, case

    def tag_ids(self, tags, where=""):
        unknown = sorted(set(tags) - set(self.tag_index))
        if unknown:
            raise CourseError(f"tag(s) {', '.join(unknown[:5])} {where} never occur in the training data")
        return np.array([self.tag_index[t] for t in tags], dtype="int32")

    def encode(self, sentences, where):
        return [(*self.inputs(tokens), self.tag_ids(tags, where)) for tokens, tags in sentences]


def pad_batch(items):
    """Stack variable-length sentences into one batch padded with 0 (the masked id)."""
    longest = max(len(item[0]) for item in items)
    words = np.zeros((len(items), longest), "int32")
    chars = np.zeros((len(items), longest, MAX_CHARS), "int32")
    case = np.zeros((len(items), longest), "int32")
    tags = np.zeros((len(items), longest), "int32")
    for row, (w, c, k, *rest) in enumerate(items):
        words[row, : len(w)], chars[row, : len(w)], case[row, : len(w)] = w, c, k
        if rest:
            tags[row, : len(w)] = rest[0]
    weights = (words > 0).astype("float32")  # 1 for a real word, 0 for padding
    return {"words": words, "chars": chars, "case": case}, tags, weights


def length_batches(n_items, lengths, batch_size, rng=None):
    """Index batches of similar-length sentences (less padding to step through); shuffled with rng."""
    lengths = np.asarray(lengths, dtype=float)
    if rng is not None:
        lengths = lengths + rng.uniform(0, 2, size=n_items)  # vary the grouping between epochs
    order = np.argsort(lengths, kind="stable")
    batches = [order[i : i + batch_size] for i in range(0, n_items, batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def word_dropout_rates(train, vocab, alpha):
    """Per word id, the chance of hiding it as <unk> in a training batch: alpha / (alpha + count).

    Rare words are hidden often, frequent ones almost never, so the model keeps practising the
    situation it will meet on new text: an unknown word that only its characters describe.
    """
    counts = Counter(normalise(w) for tokens, _ in train for w in tokens)
    rates = np.array([alpha / (alpha + counts[w]) if counts[w] else 0.0 for w in vocab["words"]])
    rates[:2] = 0.0  # never "drop" padding or <unk> itself
    return rates


def make_dataset(encoded, batch_size, seed=None, word_dropout=None):
    """A tf.data pipeline of padded (inputs, tags, weights) batches; reshuffled every epoch when seeded."""
    rng = np.random.default_rng(seed) if seed is not None else None
    lengths = [len(item[0]) for item in encoded]

    def generate():
        for batch in length_batches(len(encoded), lengths, batch_size, rng):
            inputs, tags, weights = pad_batch([encoded[i] for i in batch])
            if word_dropout is not None:
                words = inputs["words"]
                words[rng.random(words.shape) < word_dropout[words]] = 1
            yield inputs, tags, weights

    signature = (
        {
            "words": tf.TensorSpec((None, None), tf.int32),
            "chars": tf.TensorSpec((None, None, MAX_CHARS), tf.int32),
            "case": tf.TensorSpec((None, None), tf.int32),
        },
        tf.TensorSpec((None, None), tf.int32),
        tf.TensorSpec((None, None), tf.float32),
    )
    n_batches = -(-len(encoded) // batch_size)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    # Tell Keras how many batches an epoch has (a generator cannot), so progress and epochs line up.
    return dataset.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2)


# %% [markdown]
# ## 3. The model
# The character CNN slides 3-character filters along each word and keeps each filter's
# strongest response (max pooling): a filter that fires on "ing" or "ly" or a capital
# letter after a hyphen gives every word, known or not, a useful description. Word, char
# and case vectors are concatenated and read by a bidirectional RNN: the forward half has
# seen the words to the left, the backward half the words to the right, so the tag of
# "book" can depend on whether "a" or "to" came before it. A Dense softmax applied at every
# step (a Dense layer on 3-D input acts on the last axis, step by step) gives one tag each.
# The word embedding's `mask_zero=True` marks padding; the mask flows through the RNN, so
# padded steps neither update the state nor count in the loss.


# %%
RNN_LAYERS = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def build_model(vocab, *, cell, hidden, word_dim, char_dim, char_filters, dropout, total_steps, layers=1):
    words = keras.Input((None,), dtype="int32", name="words")
    chars = keras.Input((None, MAX_CHARS), dtype="int32", name="chars")
    case = keras.Input((None,), dtype="int32", name="case")
    features = [keras.layers.Embedding(len(vocab["words"]), word_dim, mask_zero=True, name="word_embedding")(words)]
    if char_filters:
        c = keras.layers.Embedding(len(vocab["chars"]), char_dim, name="char_embedding")(chars)
        # (batch, words, chars, dim): a (1, 3) kernel convolves along each word's characters only.
        c = keras.layers.Conv2D(char_filters, (1, 3), padding="same", activation="relu", name="char_cnn")(c)
        c = keras.layers.MaxPooling2D((1, MAX_CHARS), name="char_max_pool")(c)
        features.append(keras.layers.Reshape((-1, char_filters), name="char_features")(c))
    features.append(keras.layers.Embedding(len(CASES), 4, name="case_embedding")(case))
    x = keras.layers.Concatenate(name="word_vectors")(features)
    x = keras.layers.Dropout(dropout)(x)
    for layer in range(1, layers + 1):  # a second layer reads the first one's view of the whole sentence
        rnn = RNN_LAYERS[cell](hidden, return_sequences=True, name=f"{cell}_{layer}")
        x = keras.layers.Bidirectional(rnn, name=f"bidirectional_{cell}_{layer}")(x)
        x = keras.layers.Dropout(dropout)(x)
    tags = keras.layers.Dense(len(vocab["tags"]), activation="softmax", name="tag_softmax")(x)
    model = keras.Model({"words": words, "chars": chars, "case": case}, tags, name=f"tagger_{cell}")
    model.compile(
        # The learning rate glides from 2e-3 down to 1e-4 over the run (cosine): big steps while the
        # model is far from good, small ones at the end to settle into a minimum.
        optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(2e-3, total_steps, alpha=0.05),
                                        clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        weighted_metrics=["accuracy"],  # the per-token weights are 0 on padding: real words only
    )
    return model


def predict_tags(model, encoder, sentences_inputs, batch_size=256):
    """Predicted tag lists for many sentences given as (words, chars, case) arrays."""
    lengths = [len(item[0]) for item in sentences_inputs]
    predicted = [None] * len(sentences_inputs)
    for batch in length_batches(len(sentences_inputs), lengths, batch_size):
        inputs, _, _ = pad_batch([sentences_inputs[i] for i in batch])
        probs = keras.ops.convert_to_numpy(model(inputs, training=False))
        for row, i in enumerate(batch):
            predicted[i] = [encoder.vocab["tags"][t] for t in probs[row, : lengths[i]].argmax(-1)]
    return predicted


class DevEntityF1(keras.callbacks.Callback):
    """Adds ``val_entity_f1`` (exact-span entity F1 on the dev set) to every epoch's logs.

    Token accuracy is over 0.95 from the first epoch of NER (most tokens are O); entity F1 is
    the number that shows whether the model is still getting better.
    """

    def __init__(self, encoder, dev_set):
        super().__init__()
        self.encoder, self.dev_set = encoder, dev_set
        self.inputs = [encoder.inputs(tokens) for tokens, _ in dev_set]

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            predicted = predict_tags(self.model, self.encoder, self.inputs)
            logs["val_entity_f1"] = conll.entity_scores([tags for _, tags in self.dev_set], predicted)["f1"]


# %% [markdown]
# ## 4. How good is it?
# Accuracy over all test words is dominated by easy, frequent words ("the", ".", "and").
# Two harder views: accuracy on words the model never saw in training (where the word
# embedding is just `<unk>` and the characters must do the work), and precision / recall /
# F1 per tag. For named entities, token accuracy is misleading (most tokens are O), so we
# score whole entities.


# %%
def token_scores(gold, predicted, tags, unseen):
    """Accuracy, accuracy where ``unseen`` is True, per-tag P/R/F1 and the confusion matrix.

    All arguments but ``tags`` are flat, one entry per test word.
    """
    index = {t: i for i, t in enumerate(tags)}
    confusion = np.zeros((len(tags), len(tags)), dtype=np.int64)
    for g, p in zip(gold, predicted):
        confusion[index[g], index[p]] += 1
    correct = np.diag(confusion)
    per_tag = {}
    for i, tag in enumerate(tags):
        precision = correct[i] / confusion[:, i].sum() if confusion[:, i].sum() else 0.0
        recall = correct[i] / confusion[i].sum() if confusion[i].sum() else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_tag[tag] = {"precision": precision, "recall": recall, "f1": f1, "support": int(confusion[i].sum())}
    hits = np.array([g == p for g, p in zip(gold, predicted)])
    unseen = np.asarray(unseen, dtype=bool)
    return {
        "accuracy": float(hits.mean()),
        "accuracy_unseen": float(hits[unseen].mean()) if unseen.any() else float("nan"),
        "unseen_tokens": int(unseen.sum()),
        "per_tag": per_tag,
        "confusion": confusion,
    }


def evaluate(test, predicted, tags, seen_words):
    """Token scores of ``predicted`` against the (tokens, tags) sentences ``test``; entities too for IOB tags."""
    flat = lambda sentences: [x for sent in sentences for x in sent]  # noqa: E731
    unseen = [w.lower() not in seen_words for w in flat(t for t, _ in test)]
    gold = [tags_ for _, tags_ in test]
    scores = token_scores(flat(gold), flat(predicted), tags, unseen)
    if any(t.startswith(("B-", "I-")) for t in tags):
        scores["entities"] = conll.entity_scores(gold, predicted)
    return scores


def show_sentence(tokens, gold, predicted, width=110):
    """Three aligned rows (word, predicted, gold) with ^ under each mistake, wrapped at ``width``."""
    cells = []
    for w, g, p in zip(tokens, gold, predicted):
        size = max(len(w), len(g), len(p))
        cells.append((w.ljust(size), p.ljust(size), g.ljust(size), ("^" * size if g != p else " " * size)))
    lines, start = [], 0
    while start < len(cells):
        end, used = start, 6
        while end < len(cells) and (used + len(cells[end][0]) + 2 <= width or end == start):
            used += len(cells[end][0]) + 2
            end += 1
        chunk = cells[start:end]
        if start:
            lines.append("")
        for label, k in (("word", 0), ("pred", 1), ("gold", 2), ("", 3)):
            row = f"  {label:<4}  " + "  ".join(c[k] for c in chunk)
            if row.strip():
                lines.append(row.rstrip())
        start = end
    return "\n".join(lines)


def pick_examples(test, predicted, rng, count=4):
    """A few short test sentences, mostly ones with at least one mistake."""
    short = [i for i, (toks, _) in enumerate(test) if 5 <= len(toks) <= 18]
    wrong = [i for i in short if predicted[i] != test[i][1]]
    right = [i for i in short if predicted[i] == test[i][1]]
    chosen = list(rng.choice(wrong, min(count - 1, len(wrong)), replace=False)) if wrong else []
    if right:
        chosen.append(int(rng.choice(right)))
    return sorted(int(i) for i in chosen)


# %% [markdown]
# ## 5. Pictures


# %%
def plot_confusion(confusion, tags, title):
    """Row-normalised confusion matrix: row = gold tag, column = predicted; the diagonal is recall."""
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    size = max(6, 0.45 * len(tags) + 2)
    fig, ax = plots.plt.subplots(figsize=(size + 1.5, size))
    plots.heatmap(rates, row_labels=tags, col_labels=tags, title=title,
                  xlabel="predicted tag\n(numbers: % of each gold tag's words given each predicted tag; "
                  "blank: under 0.5%)",
                  ylabel="gold tag", annotate=False, ax=ax)
    for i in range(len(tags)):
        for j in range(len(tags)):
            if rates[i, j] >= 0.005:
                ax.text(j, i, f"{100 * rates[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if rates[i, j] > 0.5 else "black")
    fig.tight_layout()
    return fig


def plot_f1(model_scores, baseline_scores, title):
    """Per-tag (or per-entity-type) F1 of the model next to the counting baseline."""
    names = sorted(model_scores, key=lambda n: -model_scores[n]["support"])
    y = np.arange(len(names))
    fig, ax = plots.plt.subplots(figsize=(7.5, 0.32 * len(names) + 1.9))
    ax.barh(y + 0.2, [baseline_scores.get(n, {}).get("f1", 0.0) for n in names], 0.4,
            color="#bbbbbb", label="most-frequent-tag baseline")
    ax.barh(y - 0.2, [model_scores[n]["f1"] for n in names], 0.4, color=plots.PALETTE["gru"], label="tagger")
    ax.set_yticks(y, labels=[f"{n} ({model_scores[n]['support']})" for n in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 on the test set")
    ax.set_title(title)
    height = fig.get_figheight()
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.3 / height, 1, 1))  # leave 0.3 inch at the bottom for the legend
    return fig


# %% [markdown]
# ## Putting it together


# %%
def train(args):
    set_seed(args.seed)
    if args.quick:
        args.epochs = min(args.epochs, 2)
    splits, source = load_corpus(args)  # first: a data problem should not leave an empty run folder
    run = Run.start(LESSON, cell=f"{args.task}-{args.cell}", run_dir=args.run_dir)
    task_name = "part-of-speech tagging" if args.task == "pos" else "named-entity recognition"
    print(f"Lesson 04: {task_name} with a bidirectional {args.cell.upper()}. Outputs go to {run.path}\n")

    train_set, dev_set, test_set = splits["train"], splits["dev"], splits["test"]
    counts = ", ".join(f"{len(s):,} {n}" for n, s in splits.items())
    n_words = sum(len(t) for t, _ in train_set)
    print(f"1. {source}: {counts} sentences ({n_words:,} training words)")
    vocab = build_vocab(train_set, args.task, args.min_count)
    print(f"   {len(vocab['words']):,} words (seen at least {args.min_count}x), {len(vocab['chars'])} characters, "
          f"{len(vocab['tags'])} tags: {' '.join(vocab['tags'])}")
    seen_words = {w.lower() for tokens, _ in train_set for w in tokens}

    baseline = most_frequent_tag_baseline(train_set)
    baseline_pred = [baseline(tokens) for tokens, _ in test_set]
    base = evaluate(test_set, baseline_pred, vocab["tags"], seen_words)
    line = f"   most-frequent-tag baseline on test: accuracy {base['accuracy']:.4f}, " \
           f"unseen words {base['accuracy_unseen']:.4f}"
    if "entities" in base:
        line += f", entity F1 {base['entities']['f1']:.4f}"
    print(line)

    encoder = Encoder(vocab)
    train_enc = encoder.encode(train_set, "in the training data")
    dev_enc = encoder.encode(dev_set, "in the dev data")
    test_inputs = [encoder.inputs(tokens) for tokens, _ in test_set]
    unknown = sorted({t for _, tags in test_set for t in tags} - set(vocab["tags"]))
    if unknown:
        raise CourseError(f"tag(s) {', '.join(unknown[:5])} in the test data never occur in the training data")

    model = build_model(vocab, cell=args.cell, hidden=args.hidden, word_dim=args.word_dim,
                        char_dim=args.char_dim, char_filters=args.char_filters, dropout=args.dropout,
                        layers=args.layers, total_steps=args.epochs * -(-len(train_enc) // args.batch_size))
    print(f"\n2. {model.name}: {model.count_params():,} parameters; training {args.epochs} epochs")
    json_text = json.dumps(vocab, ensure_ascii=False)
    (run.path / "vocab.json").write_text(json_text + "\n", encoding="utf-8")
    t0 = time.time()
    hide_rates = word_dropout_rates(train_set, vocab, args.word_dropout) if args.word_dropout else None
    callbacks = run.callbacks()
    if args.task == "ner":
        callbacks.insert(1, DevEntityF1(encoder, dev_set))  # before TensorBoard, so that it is logged
    history = model.fit(
        make_dataset(train_enc, args.batch_size, seed=args.seed, word_dropout=hide_rates),
        validation_data=make_dataset(dev_enc, 256),
        epochs=args.epochs,
        callbacks=callbacks,
        verbose=2,
    )
    train_seconds = time.time() - t0
    model_path = run.save_model(model)

    predicted = predict_tags(model, encoder, test_inputs)
    scores = evaluate(test_set, predicted, vocab["tags"], seen_words)
    n_test = sum(len(t) for t, _ in test_set)
    print(f"\n3. Test set ({n_test:,} words, {scores['unseen_tokens']:,} unseen in training):")
    print(f"   token accuracy  {scores['accuracy']:.4f}   (baseline {base['accuracy']:.4f})")
    print(f"   unseen words    {scores['accuracy_unseen']:.4f}   (baseline {base['accuracy_unseen']:.4f})")
    print_per_tag(scores["per_tag"])
    metrics = {
        "task": args.task,
        "source": source,
        "test_accuracy": scores["accuracy"],
        "test_accuracy_unseen": scores["accuracy_unseen"],
        "unseen_test_tokens": scores["unseen_tokens"],
        "baseline_accuracy": base["accuracy"],
        "baseline_accuracy_unseen": base["accuracy_unseen"],
        "dev_accuracy": history.history["val_accuracy"][-1],
        "per_tag": scores["per_tag"],
        "train_seconds": train_seconds,
        "model_path": model_path,
    }
    for name in ("accuracy", "accuracy_unseen"):
        run.log_scalar(f"test/{name}", scores[name], args.epochs)
    f1_scores, base_f1 = scores["per_tag"], base["per_tag"]
    if "entities" in scores:
        ent, base_ent = scores["entities"], base["entities"]
        print(f"\n   entities (type and exact span must match): precision {ent['precision']:.4f}, "
              f"recall {ent['recall']:.4f}, F1 {ent['f1']:.4f}   (baseline F1 {base_ent['f1']:.4f})")
        print_per_tag(ent["per_type"], heading="entity type")
        metrics.update(test_entity_f1=ent["f1"], test_entity_precision=ent["precision"],
                       test_entity_recall=ent["recall"], baseline_entity_f1=base_ent["f1"],
                       per_entity_type=ent["per_type"], dev_entity_f1=history.history["val_entity_f1"][-1])
        run.log_scalar("test/entity_f1", ent["f1"], args.epochs)
        f1_scores, base_f1 = ent["per_type"], base_ent["per_type"]

    print("\n4. Some test sentences (^ marks a mistake):")
    examples = []
    for i in pick_examples(test_set, predicted, np.random.default_rng(args.seed)):
        shown = f"  test sentence {i + 1}:\n" + show_sentence(test_set[i][0], test_set[i][1], predicted[i])
        examples.append(shown)
        print(shown + "\n")
    run.log_text("test/examples", "\n\n".join(f"```\n{e}\n```" for e in examples), args.epochs)

    kind = "UPOS" if args.task == "pos" else "NER"
    run.save_figure(plots.training_curves(history.history, title=f"{kind} tagger ({args.cell})"), "training_curves.png")
    run.save_figure(plot_confusion(scores["confusion"], vocab["tags"], f"{kind} confusion on the test set"),
                    "confusion_matrix.png")
    what = "per tag" if "entities" not in scores else "per entity type (exact spans)"
    run.save_figure(plot_f1(f1_scores, base_f1, f"Test F1 {what}"), "f1_per_tag.png")
    run.write_metrics(metrics, epochs=args.epochs, seed=args.seed, quick=args.quick, cell=args.cell,
                      hidden=args.hidden, layers=args.layers,
                      char_filters=args.char_filters, dropout=args.dropout, train_sentences=len(train_set),
                      test_sentences=len(test_set))
    run.finish()
    print(f"\nTry it: python -m lessons.{LESSON} predict --model {model_path} \"Your sentence here.\"")
    print("Next: the exercises for this lesson: make check EX=ex04   (stuck? make hint EX=ex04a)")
    return run


def print_per_tag(per_tag, heading="tag"):
    print(f"\n   {heading:<12} precision  recall     F1   support")
    for tag, s in sorted(per_tag.items(), key=lambda kv: -kv[1]["support"]):
        print(f"   {tag:<12} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f} {s['support']:9,}")


# %% [markdown]
# ## 6. Tagging your own sentence
# The vocabularies are saved next to the model as vocab.json, so a reloaded model turns
# words into the same numbers it was trained on. The tokenizer is deliberately simple: it
# splits off punctuation and the clitics "n't" and "'s" the way the treebank does.


# %%
TOKEN = re.compile(
    r"\d+(?:[.,:/]\d+)+"  # 3.5  1,000  10:30  5/30/00
    r"|(?:[A-Za-z]\.){2,}"  # U.S.  e.g.
    r"|\w+(?=n't\b)|n't\b"  # do | n't
    r"|'(?:s|re|ve|ll|d|m)\b"  # Bob | 's
    r"|\w+(?:[-.]\w+)*"  # words, e-mail
    r"|[^\w\s]"  # any other single symbol
)


def tokenize(text: str) -> list[str]:
    return TOKEN.findall(text)


def predict(args):
    path = Path(args.model or newest_model(LESSON))
    model = load_model(path, LESSON)
    vocab_file = path.parent / "vocab.json"
    if not vocab_file.is_file():
        raise CourseError(f"{vocab_file} is missing; training writes it next to the model")
    vocab = json.loads(vocab_file.read_text(encoding="utf-8"))
    if not args.inputs:
        raise CourseError('give one or more sentences, e.g.: predict "The quick brown fox jumped."')
    encoder = Encoder(vocab)
    for text in args.inputs:
        tokens = tokenize(text)
        if not tokens:
            raise CourseError(f"{text!r} has no words to tag")
        tags = predict_tags(model, encoder, [encoder.inputs(tokens)])[0]
        print(" ".join(f"{w}/{t}" for w, t in zip(tokens, tags)))
        found = sorted(conll.entities(tags), key=lambda e: e[1]) if vocab["task"] == "ner" else []
        if found:
            print("   entities: " + "  ".join(f"[{k} {' '.join(tokens[s:e])}]" for k, s, e in found))


def column_pair(text: str) -> tuple[int, int]:
    try:
        token, tag = (int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TOKEN,TAG column numbers such as 1,4; got {text!r}") from None
    if token == 0 or tag == 0:
        raise argparse.ArgumentTypeError("column numbers start at 1 (or -1 for the last column)")
    return token, tag


def run(argv=None):
    parser = cli.train_parser(LESSON, __doc__.splitlines()[0], epochs=5, batch_size=32, cell="gru")
    parser.add_argument("--task", choices=("pos", "ner"), default="pos",
                        help="pos: UPOS on UD English EWT (default); ner: CoNLL-2003 named entities")
    parser.add_argument("--train", metavar="FILE", help="your own training file (CoNLL-U, or one token a line)")
    parser.add_argument("--dev", metavar="FILE", help="your own development file")
    parser.add_argument("--test", metavar="FILE", help="your own test file")
    parser.add_argument("--columns", type=column_pair, metavar="TOKEN,TAG",
                        help="1-based columns of the token and the tag in your files (default 1,-1; "
                             "CoNLL-U: 2,4 = FORM,UPOS)")
    parser.add_argument("--hidden", type=cli.positive_int, default=128, help="RNN units per direction (default 128)")
    parser.add_argument("--layers", type=cli.positive_int, default=1,
                        help="stacked bidirectional RNN layers (default 1)")
    parser.add_argument("--word-dim", type=cli.positive_int, default=100, help="word embedding size (default 100)")
    parser.add_argument("--char-dim", type=cli.positive_int, default=24, help="character embedding size (default 24)")
    parser.add_argument("--char-filters", type=cli.non_negative_int, default=64,
                        help="character CNN filters; 0 turns the character view off (default 64)")
    parser.add_argument("--min-count", type=cli.positive_int, default=2,
                        help="a word needs this many training occurrences to get its own vector (default 2)")
    parser.add_argument("--dropout", type=cli.fraction, default=0.33, help="dropout rate (default 0.33)")
    parser.add_argument("--word-dropout", type=cli.fraction, default=0.25, metavar="ALPHA",
                        help="hide a training word as <unk> with chance ALPHA/(ALPHA+its count); 0: off "
                             "(default 0.25)")
    return cli.run_cli(argv, train=train, parser=parser, predict=predict,
                       predict_args=cli.predict_parser(LESSON, "a sentence in quotes"))


if __name__ == "__main__":
    cli.main(run)
