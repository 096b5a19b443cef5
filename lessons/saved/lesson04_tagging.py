"""The definitions of lessons/lesson04_tagging.py, saved by `make export`: do not edit here.

Every function, class and UPPER_CASE constant of the lesson that does not read a variable of its
cells, with the imports it uses. Change the lesson, then run `make export`.
"""

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)
import itertools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
import keras
import numpy as np
import tensorflow as tf
from course_utils import CourseError, cli, conll, plots
from course_utils.inputs import read_json, shorten
from course_utils.layers import recurrent_layer
from course_utils.lesson import LessonConfig, SourceOption, flag
from course_utils.progress import progress
from course_utils.runs import load_model
from course_utils.text import bucketed_batches


LESSON = "lesson04_tagging"


WORD_CHARS = 16  # longer words keep their first and last 8 characters: prefixes and suffixes carry the tag


MAX_CHARS = WORD_CHARS + 2  # plus begin- and end-of-word markers


PAD = "<pad>"  # word id 0 (and char id 0, case id 0): padding, masked


UNK = "<unk>"  # word id 1: a word not in the vocabulary


BOW = "<w>"  # begin- and end-of-word markers around each word's characters


EOW = "</w>"


@dataclass
class Config(LessonConfig, SourceOption):
    task: str = flag("pos", "pos: UPOS on UD English EWT; ner: CoNLL-2003 named entities", choices=("pos", "ner"))
    train: str | None = flag(None, "your own training file (CoNLL-U, or one token a line)", metavar="FILE")
    dev: str | None = flag(None, "your own development file", metavar="FILE")
    test: str | None = flag(None, "your own test file", metavar="FILE")
    columns: str | None = flag(
        None,
        "1-based columns of the token and the tag in your files (default 1,-1; CoNLL-U: 2,4 = FORM,UPOS)",
        type=conll.column_pair,
        metavar="TOKEN,TAG",
    )
    cell: str = flag("gru", "recurrent cell", choices=cli.CELLS)
    epochs: int = flag(5, "training epochs", type=cli.positive_int)
    batch_size: int = flag(32, "batch size", type=cli.batch_size)
    hidden: int = flag(128, "RNN units per direction", type=cli.layer_size)
    layers: int = flag(1, "stacked bidirectional RNN layers", type=cli.layer_count)
    word_dim: int = flag(100, "word embedding size", type=cli.layer_size)
    char_dim: int = flag(24, "character embedding size", type=cli.layer_size)
    char_filters: int = flag(64, "character CNN filters; 0 turns the character view off", type=cli.int_between(0, 4096))
    min_count: int = flag(2, "a word needs this many training occurrences to get its own vector", type=cli.positive_int)
    dropout: float = flag(0.33, "dropout rate", type=cli.fraction)
    output: str = flag("softmax", "softmax: each word's tag alone; crf: whole sequences", choices=("softmax", "crf"))
    tags: str = flag("iob2", "NER tags the model learns (scored as IOB2)", choices=("iob2", "iobes"))
    word_dropout: float = flag(0.25, "hide a training word as <unk> w.p. alpha/(alpha+its count)", type=cli.fraction)

    QUICK = {"epochs": 2}

    def task_name(self) -> str:
        return "part-of-speech tagging" if self.task == "pos" else "named-entity recognition"


def aligned(rows, width=110):
    """Rows of per-word strings, (label, cells), printed in aligned columns and wrapped at ``width``."""
    sizes = [max(len(cells[i]) for _, cells in rows) for i in range(len(rows[0][1]))]
    pad = max(4, *(len(label) for label, _ in rows))
    lines, start = [], 0
    while start < len(sizes):
        end, used = start, pad + 4
        while end < len(sizes) and (used + sizes[end] + 2 <= width or end == start):
            used += sizes[end] + 2
            end += 1
        if start:
            lines.append("")
        for label, cells in rows:
            line = f"  {label:<{pad}}  " + "  ".join(cells[i].ljust(sizes[i]) for i in range(start, end))
            if line.strip():
                lines.append(line.rstrip())
        start = end
    return "\n".join(lines)


def precision_recall_f1(correct, predicted, gold):
    """Precision, recall and F1 from three counts: right guesses, guesses, gold items (the support)."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": gold}


def token_scores(gold, predicted, tags, unseen):
    """Accuracy, accuracy where ``unseen`` is True, per-tag P/R/F1 and the confusion matrix.

    All arguments but ``tags`` are flat, one entry per test word.
    """
    index = {t: i for i, t in enumerate(tags)}
    confusion = np.zeros((len(tags), len(tags)), dtype=np.int64)
    for g, p in zip(gold, predicted):
        confusion[index[g], index[p]] += 1
    correct, guessed, support = np.diag(confusion), confusion.sum(axis=0), confusion.sum(axis=1)
    per_tag = {
        tag: precision_recall_f1(int(correct[i]), int(guessed[i]), int(support[i])) for i, tag in enumerate(tags)
    }
    hits = np.array([g == p for g, p in zip(gold, predicted)])
    unseen = np.asarray(unseen, dtype=bool)
    return {
        "accuracy": float(hits.mean()),
        "accuracy_unseen": float(hits[unseen].mean()) if unseen.any() else float("nan"),
        "unseen_tokens": int(unseen.sum()),
        "per_tag": per_tag,
        "confusion": confusion,
    }


def entities(tags):
    """The entities in one sentence's IOB tags as a set of (type, start, end), end exclusive (as conlleval)."""
    found = set()
    start, current = None, ""
    for i, tag in enumerate(list(tags) + ["O"]):  # a final O closes an entity at the end of the sentence
        prefix, kind = conll.split_tag(tag)  # "B-PER" -> ("B", "PER"), "O" -> ("O", "")
        continues = prefix == "I" and kind == current and start is not None
        if not continues and start is not None:
            found.add((current, start, i))
            start, current = None, ""
        if prefix in ("B", "I") and not continues:
            start, current = i, kind
    return found


def entity_scores(gold, predicted):
    """Entity precision, recall and F1 over a corpus (lists of tag lists), overall and per entity type."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    correct, n_predicted, n_gold = Counter(), Counter(), Counter()
    for gold_tags, predicted_tags in zip(gold, predicted):
        if len(gold_tags) != len(predicted_tags):
            raise ValueError("a predicted sentence differs in length from its gold sentence")
        g, p = entities(gold_tags), entities(predicted_tags)
        n_gold.update(kind for kind, _, _ in g)
        n_predicted.update(kind for kind, _, _ in p)
        correct.update(kind for kind, _, _ in g & p)  # same type, same start, same end
    scores = precision_recall_f1(sum(correct.values()), sum(n_predicted.values()), sum(n_gold.values()))
    kinds = sorted(n_gold | n_predicted)
    scores["per_type"] = {k: precision_recall_f1(correct[k], n_predicted[k], n_gold[k]) for k in kinds}
    return scores


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


def evaluate(test, predicted, tags, seen_words):
    """Token scores of ``predicted`` against the (tokens, tags) sentences ``test``; entities too for IOB tags."""
    flat = lambda sentences: [x for sent in sentences for x in sent]  # noqa: E731
    unseen = [w.lower() not in seen_words for w in flat(t for t, _ in test)]
    gold = [tags_ for _, tags_ in test]
    scores = token_scores(flat(gold), flat(predicted), tags, unseen)
    if any(t.startswith(("B-", "I-")) for t in tags):
        scores["entities"] = entity_scores(gold, predicted)
    return scores


def score_line(scores, baseline=None):
    """One line: token accuracy, on unseen words, and entity F1 where there are entities."""
    parts = [f"token accuracy {scores['accuracy']:.4f}", f"unseen words {scores['accuracy_unseen']:.4f}"]
    if baseline is not None:
        parts = [f"{p}   (baseline {baseline[k]:.4f})" for p, k in zip(parts, ("accuracy", "accuracy_unseen"))]
    if "entities" in scores:
        ent = scores["entities"]
        parts.append(
            f"entities (type and exact span must match): precision {ent['precision']:.4f}, "
            f"recall {ent['recall']:.4f}, F1 {ent['f1']:.4f}"
            + (f"   (baseline F1 {baseline['entities']['f1']:.4f})" if baseline is not None else "")
        )
    return "\n".join(parts)


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


def iob2_to_iobes(tags: list[str]) -> list[str]:
    """IOB2 to IOBES: B-X alone is S-X, and the I-X that ends an entity is E-X."""
    following = [*tags[1:], "O"]
    ends = [after != f"I-{tag[2:]}" for tag, after in zip(tags, following)]
    return [{"B-": "S-", "I-": "E-"}.get(tag[:2], tag[:2]) + tag[2:] if end else tag for tag, end in zip(tags, ends)]


def iobes_to_iob2(tags: list[str]) -> list[str]:
    """IOBES back to IOB2: S-X is B-X and E-X is I-X."""
    return [{"S-": "B-", "E-": "I-"}.get(tag[:2], tag[:2]) + tag[2:] for tag in tags]


VOCAB_KEYS = ("task", "words", "chars", "tags")  # what vocab.json holds, for predict


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
    """Maps sentences to the model's three padded integer arrays, and tag ids back to tags."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.word_index = {w: i for i, w in enumerate(vocab["words"])}
        self.char_index = {c: i for i, c in enumerate(vocab["chars"])}
        self.tag_index = {t: i for i, t in enumerate(vocab["tags"])}

    def inputs(self, token_lists):
        """words (sentences, longest), chars (sentences, longest, MAX_CHARS), case (sentences, longest)."""
        shape = (len(token_lists), max(len(tokens) for tokens in token_lists))
        words, case = np.zeros(shape, "int32"), np.zeros(shape, "int32")
        chars = np.zeros((*shape, MAX_CHARS), "int16")  # int16: the whole training set stays small
        for row, tokens in enumerate(token_lists):
            words[row, : len(tokens)] = [self.word_index.get(normalise(w), 1) for w in tokens]
            case[row, : len(tokens)] = [casing(w) for w in tokens]
            for i, w in enumerate(tokens):
                ids = [self.char_index.get(c, 1) for c in word_chars(w)]
                chars[row, i, : len(ids)] = ids
        return words, chars, case

    def tag_ids(self, tag_lists):
        """Tag ids + 1, padded with 0, one row per sentence."""
        ids = np.zeros((len(tag_lists), max(len(tags) for tags in tag_lists)), "int32")
        for row, tags in enumerate(tag_lists):
            ids[row, : len(tags)] = [self.tag_index[t] + 1 for t in tags]
        return ids

    def encode(self, sentences):
        """(words, chars, case, tags) arrays for a list of (tokens, tags) sentences."""
        return (*self.inputs([tokens for tokens, _ in sentences]), self.tag_ids([tags for _, tags in sentences]))


def model_batch(words, chars, case, tags):
    """A bucketed (words, chars, case, tags + 1) batch as the model wants it: inputs, tag ids, weights."""
    chars = tf.cast(chars[:, : tf.shape(words)[1]], "int32")  # chars come whole; cut them like the words
    inputs = {"words": words, "chars": chars, "case": case}
    return inputs, tf.maximum(tags - 1, 0), tf.cast(tags > 0, "float32")  # weight 1 for a real word, 0 for padding


def tagged_batches(arrays, batch_size, seed=None):
    """Batches of similar-length sentences (shuffled every epoch when seeded) in the model's format."""
    return bucketed_batches(arrays, batch_size, seed=seed).map(model_batch)


def word_dropout_rates(train, vocab, alpha):
    """Per word id, the chance of hiding it as <unk> in a training batch: alpha / (alpha + count)."""
    counts = Counter(normalise(w) for tokens, _ in train for w in tokens)
    rates = np.array([alpha / (alpha + counts[w]) if counts[w] else 0.0 for w in vocab["words"]])
    rates[:2] = 0.0  # never "drop" padding or <unk> itself
    return rates


@keras.saving.register_keras_serializable(package="course_lesson04")
class RareWordDropout(keras.layers.Layer):
    """While training, replace word id i by 1 (<unk>) with probability ``rates[i]``; padding stays 0."""

    def __init__(self, rates=None, vocab_size=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = int(len(rates) if rates is not None else vocab_size)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # A weight, not a config entry: it is saved with the model, however large the vocabulary.
        self.rates = self.add_weight(shape=(self.vocab_size,), initializer="zeros", trainable=False, name="rates")
        if rates is not None:
            self.rates.assign(np.asarray(rates, dtype="float32"))

    def call(self, words, training=None):
        if not training:
            return words
        chance = keras.ops.take(self.rates, words)  # each word's own rate
        hide = keras.random.uniform(keras.ops.shape(words), seed=self.seed_generator) < chance
        return keras.ops.where(hide, keras.ops.ones_like(words), words)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "seed": self.seed}


def word_vectors(words, chars, case, vocab, config, hide_rates=None):
    """Each word as one vector: its embedding (rare words hidden while training), its characters' CNN, its casing."""
    w = words
    if hide_rates is not None:
        w = RareWordDropout(hide_rates, seed=config.seed, name="rare_word_dropout")(w)
    features = [keras.layers.Embedding(len(vocab["words"]), config.word_dim, name="word_embedding")(w)]
    if config.char_filters:
        c = keras.layers.Embedding(len(vocab["chars"]), config.char_dim, name="char_embedding")(chars)
        # (batch, words, chars, dim): a (1, 3) kernel convolves along each word's characters only.
        c = keras.layers.Conv2D(config.char_filters, (1, 3), padding="same", activation="relu", name="char_cnn")(c)
        c = keras.layers.MaxPooling2D((1, MAX_CHARS), name="char_max_pool")(c)
        features.append(keras.layers.Reshape((-1, config.char_filters), name="char_features")(c))
    features.append(keras.layers.Embedding(len(CASES), 4, name="case_embedding")(case))
    return keras.layers.Concatenate(name="word_vectors")(features)


def random_crf(num_tags=3, length=4, seed=0):
    """Random emissions (1, length, tags), transitions (tags, tags), start and end scores (tags,)."""
    rng = np.random.default_rng(seed)
    emissions = rng.normal(size=(1, length, num_tags)).astype("float32")
    transitions, start, end = (rng.normal(size=s).astype("float32") for s in ((num_tags, num_tags), num_tags, num_tags))
    return emissions, transitions, start, end


def crf_path_score(emissions, tags, mask, transitions, start, end):
    """Score of the given tag paths: (batch, steps, tags) emissions, (batch, steps) tag ids and
    0/1 mask (real words first) -> (batch,). Padded steps add nothing."""
    ops = keras.ops
    mask = ops.cast(mask, emissions.dtype)
    tags = ops.cast(tags, "int32")
    num_tags = ops.shape(transitions)[0]
    emitted = ops.squeeze(ops.take_along_axis(emissions, tags[..., None], axis=-1), -1)  # (batch, steps)
    pairs = tags[:, :-1] * num_tags + tags[:, 1:]  # transition i -> j as one index into the flat matrix
    moved = ops.take(ops.reshape(transitions, (-1,)), pairs)  # (batch, steps - 1)
    last = ops.cast(ops.sum(mask, axis=1), "int32") - 1  # the index of each sentence's last real word
    last_tag = ops.squeeze(ops.take_along_axis(tags, last[:, None], axis=1), 1)
    return (
        ops.sum(emitted * mask, axis=1)
        + ops.sum(moved * mask[:, 1:], axis=1)
        + ops.take(start, tags[:, 0])
        + ops.take(end, last_tag)
    )


def crf_log_partition(emissions, mask, transitions, start, end):
    """log Z: the logsumexp of the scores of every tag path (the forward algorithm) -> (batch,)."""
    ops = keras.ops
    mask = ops.cast(mask, emissions.dtype)

    def step(alpha, inputs):  # alpha[b, j]: logsumexp of the scores of all paths so far ending in tag j
        emission, real = inputs[:, :-1], inputs[:, -1]
        scores = alpha[:, :, None] + transitions[None] + emission[:, None, :]  # (batch, from, to)
        new = ops.logsumexp(scores, axis=1)
        alpha = real[:, None] * new + (1 - real[:, None]) * alpha  # a padded step changes nothing
        return alpha, alpha

    alpha = start[None] + emissions[:, 0]
    # one tensor to scan over, (steps, batch, tags + 1): each step's emissions and its mask bit
    steps = ops.transpose(ops.concatenate([emissions, mask[..., None]], axis=-1)[:, 1:], (1, 0, 2))
    alpha, _ = ops.scan(step, alpha, steps)
    return ops.logsumexp(alpha + end[None], axis=1)


def viterbi(emissions, transitions, start, end):
    """The best tag path (a list of tag ids) for one sentence's (length, tags) emission scores (NumPy)."""
    score = start + emissions[0]
    back = []
    for emission in emissions[1:]:
        candidates = score[:, None] + transitions  # (from, to)
        back.append(candidates.argmax(axis=0))
        score = candidates.max(axis=0) + emission
    best = [int((score + end).argmax())]
    for pointers in reversed(back):
        best.append(int(pointers[best[-1]]))
    return best[::-1]


def brute_force_check(num_tags=3, length=4, seed=0):
    """Every path of a tiny random CRF, scored one by one, against the forward algorithm and Viterbi."""
    emissions, transitions, start, end = random_crf(num_tags, length, seed)
    mask = np.ones((1, length), "float32")
    paths = np.array(list(itertools.product(range(num_tags), repeat=length)), "int32")
    many = np.repeat(emissions, len(paths), axis=0)
    scores = keras.ops.convert_to_numpy(
        crf_path_score(many, paths, np.repeat(mask, len(paths), axis=0), transitions, start, end)
    )
    log_z = float(keras.ops.convert_to_numpy(crf_log_partition(emissions, mask, transitions, start, end))[0])
    brute_log_z = float(np.log(np.exp(scores.astype("float64")).sum()))
    best = viterbi(emissions[0], transitions, start, end)
    return {
        "paths": len(paths),
        "log_z": log_z,
        "brute_log_z": brute_log_z,
        "viterbi": best,
        "brute_best": paths[scores.argmax()].tolist(),
    }


@keras.saving.register_keras_serializable(package="course_lesson04")
class CRF(keras.layers.Layer):
    """Holds the transition scores (``transitions[i, j]``: tag i followed by tag j) and the
    start and end scores. It passes the emission scores through unchanged: the CRF acts in the
    loss (``CRFLoss``) and in decoding (``viterbi``).

    The scores are stored divided by ``speed``: Adam moves every weight by about the learning
    rate per step, so without it these few numbers would creep (after a quick NER run's 94 steps
    they stayed within +-0.1; with speed 10 they reach about +-0.8)."""

    def __init__(self, num_tags, speed=10.0, **kwargs):
        super().__init__(**kwargs)
        self.num_tags, self.speed = int(num_tags), float(speed)
        self.supports_masking = True  # the padding mask passes through, as it does through the softmax
        square, row = (self.num_tags, self.num_tags), (self.num_tags,)
        self.transitions = self.add_weight(shape=square, initializer="zeros", name="transitions")
        self.start = self.add_weight(shape=row, initializer="zeros", name="start")
        self.end = self.add_weight(shape=row, initializer="zeros", name="end")

    def scores(self):
        """(transitions, start, end), the scores the CRF uses."""
        return tuple(self.speed * w for w in (self.transitions, self.start, self.end))

    def call(self, emissions):
        return emissions

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_tags": self.num_tags, "speed": self.speed}


def crf_weights(model):
    """(transitions, start, end) as NumPy arrays if ``model`` has a CRF layer, else None."""
    layer = next((layer for layer in model.layers if layer.name == "crf"), None)  # build_model names it
    if layer is None:
        return None
    return tuple(keras.ops.convert_to_numpy(w) for w in layer.scores())


@keras.saving.register_keras_serializable(package="course_lesson04")
class CRFLoss(keras.losses.Loss):
    """The CRF negative log-likelihood, log Z - score(gold), per real word. It reads the
    transitions of ``crf`` (a CRF layer), and the sample weights (1 for a word, 0 for padding)
    as the mask."""

    def __init__(self, crf=None, name="crf_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.crf = crf  # not saved: a reloaded model predicts; to train it again, compile it with CRFLoss(its crf)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.crf is None:
            raise ValueError("CRFLoss needs the model's CRF layer: compile with CRFLoss(model.get_layer('crf'))")
        ops = keras.ops
        y_pred = ops.cast(y_pred, "float32")
        mask = ops.ones(ops.shape(y_true), "float32") if sample_weight is None else ops.cast(sample_weight, "float32")
        weights = self.crf.scores()
        nll = crf_log_partition(y_pred, mask, *weights) - crf_path_score(y_pred, y_true, mask, *weights)
        return ops.sum(nll) / ops.maximum(ops.sum(mask), 1.0)

    def call(self, y_true, y_pred):  # unused (__call__ needs the mask), but Loss requires it
        return self(y_true, y_pred)

    def get_config(self):
        return {"name": self.name}


def build_model(vocab, config, total_steps, hide_rates=None):
    words = keras.Input((None,), dtype="int32", name="words")
    chars = keras.Input((None, MAX_CHARS), dtype="int32", name="chars")
    case = keras.Input((None,), dtype="int32", name="case")
    real_words = keras.ops.not_equal(words, 0)  # the mask: True for a word, False for padding
    x = word_vectors(words, chars, case, vocab, config, hide_rates)
    x = keras.layers.Dropout(config.dropout)(x)
    for layer in range(1, config.layers + 1):  # a second layer reads the first one's view of the whole sentence
        rnn = recurrent_layer(config.cell, config.hidden, return_sequences=True, name=f"{config.cell}_{layer}")
        x = keras.layers.Bidirectional(rnn, name=f"bidirectional_{config.cell}_{layer}")(x, mask=real_words)
        x = keras.layers.Dropout(config.dropout)(x)
    if config.output == "crf":  # raw per-word scores (emissions); the CRF layer holds the transitions
        crf = CRF(len(vocab["tags"]), name="crf")
        tags = crf(keras.layers.Dense(len(vocab["tags"]), name="tag_scores")(x))
        loss = CRFLoss(crf)  # reads the transitions, and the per-word weights as the mask
    else:
        tags = keras.layers.Dense(len(vocab["tags"]), activation="softmax", name="tag_softmax")(x)
        loss = keras.losses.SparseCategoricalCrossentropy()
    model = keras.Model({"words": words, "chars": chars, "case": case}, tags, name=f"tagger_{config.cell}")
    model.compile(
        # The learning rate glides from 2e-3 down to 1e-4 over the run (cosine): big steps while the
        # model is far from good, small ones at the end to settle into a minimum.
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(2e-3, total_steps, alpha=0.05), clipnorm=5.0
        ),
        loss=loss,
        # the per-token weights are 0 on padding: real words only (with a CRF: the argmax of the word scores)
        weighted_metrics=["accuracy"],
    )
    return model


def predict_tags(model, encoder, inputs, batch_size=256):
    """Predicted tag lists for many sentences given as padded (words, chars, case) arrays.

    With a CRF the best whole sequence (Viterbi), otherwise the likeliest tag of each word."""
    words, chars, case = inputs
    crf = crf_weights(model)
    lengths = (words != 0).sum(axis=1)
    predicted = [None] * len(words)
    batches = bucketed_batches((words, chars, case, np.arange(len(words))), batch_size, seed=None)
    # NumPy batches, read by one compiled predict step per batch shape (on any Keras backend)
    with progress(total=len(words), what=f"tagging {len(words):,} sentences", unit="sentence", leave=False) as bar:
        for batch_words, batch_chars, batch_case, rows in batches.as_numpy_iterator():  # rows: which sentences
            batch_chars = batch_chars[:, : batch_words.shape[1]].astype("int32")  # cut like the words (model_batch)
            batch = {"words": batch_words, "chars": batch_chars, "case": batch_case}
            scores = np.asarray(model.predict_on_batch(batch))
            for row, i in enumerate(rows):
                best = viterbi(scores[row, : lengths[i]], *crf) if crf else scores[row, : lengths[i]].argmax(-1)
                predicted[i] = [encoder.vocab["tags"][t] for t in best]
            bar.update(len(rows))
    if encoder.vocab.get("scheme") == "iobes":
        predicted = [iobes_to_iob2(tags) for tags in predicted]
    return predicted


def show_sentence(tokens, gold, predicted, width=110):
    """Three aligned rows (word, predicted, gold) with ^ under each mistake, wrapped at ``width``."""
    marks = ["^" * max(len(w), len(g), len(p)) if g != p else "" for w, g, p in zip(tokens, gold, predicted)]
    return aligned([("word", tokens), ("pred", predicted), ("gold", gold), ("", marks)], width)


class DevEntityF1(keras.callbacks.Callback):
    """Adds ``val_entity_f1`` (exact-span entity F1 on the dev set) to every epoch's logs."""

    def __init__(self, encoder, dev_set):
        super().__init__()
        self.encoder, self.dev_set = encoder, dev_set
        self.inputs = encoder.inputs([tokens for tokens, _ in dev_set])

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            predicted = predict_tags(self.model, self.encoder, self.inputs)
            logs["val_entity_f1"] = entity_scores([tags for _, tags in self.dev_set], predicted)["f1"]


def per_tag_table(scores, baseline, heading="tag"):
    """A Markdown table, commonest tag first: precision, recall, F1 (and the baseline's F1), support."""
    rows = [f"| {heading} | precision | recall | F1 | baseline F1 | support |", "|---|---|---|---|---|---|"]
    for tag, s in sorted(scores.items(), key=lambda kv: -kv[1]["support"]):
        rows.append(
            f"| {tag} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
            f"| {baseline.get(tag, {}).get('f1', 0.0):.3f} | {s['support']:,} |"
        )
    return "\n".join(rows)


def plot_confusion(confusion, tags, title):
    """Row-normalised confusion matrix: row = gold tag, column = predicted; the diagonal is recall."""
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    size = max(6, 0.45 * len(tags) + 2)
    fig, ax = plots.plt.subplots(figsize=(size + 1.5, size))
    plots.heatmap(
        rates,
        row_labels=tags,
        col_labels=tags,
        title=title,
        xlabel="predicted tag\n(numbers: % of each gold tag's words given each predicted tag; blank: under 0.5%)",
        ylabel="gold tag",
        annotate=False,
        ax=ax,
    )
    for i, j in zip(*np.nonzero(rates >= 0.005)):
        color = "white" if rates[i, j] > 0.5 else "black"
        ax.text(j, i, f"{100 * rates[i, j]:.0f}", ha="center", va="center", fontsize=7, color=color)
    fig.tight_layout()
    return fig


def plot_f1(model_scores, baseline_scores, title):
    """Per-tag (or per-entity-type) F1 of the model next to the counting baseline."""
    names = sorted(model_scores, key=lambda n: -model_scores[n]["support"])
    y = np.arange(len(names))
    fig, ax = plots.plt.subplots(figsize=(7.5, 0.32 * len(names) + 1.9))
    baseline_f1 = [baseline_scores.get(n, {}).get("f1", 0.0) for n in names]
    ax.barh(y + 0.2, baseline_f1, 0.4, color="#bbbbbb", label="most-frequent-tag baseline")
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


def pick_examples(test, predicted, rng, count=4):
    """A few short test sentences, mostly ones with at least one mistake."""
    short = [i for i, (toks, _) in enumerate(test) if 5 <= len(toks) <= 18]
    wrong = [i for i in short if predicted[i] != test[i][1]]
    right = [i for i in short if predicted[i] == test[i][1]]
    chosen = list(rng.choice(wrong, min(count - 1, len(wrong)), replace=False)) if wrong else []
    if right:
        chosen.append(int(rng.choice(right)))
    return sorted(int(i) for i in chosen)


def broken_entities(tag_lists):
    """How many I-X tags follow neither B-X nor I-X: entities that could not exist in IOB2."""
    return sum(
        1
        for tags in tag_lists
        for before, tag in zip(["O", *tags], tags)
        if tag.startswith("I-") and before[2:] != tag[2:]
    )


def transition_table(transitions, start, end, tags):
    """A Markdown table of the CRF's scores: row = a tag, column = the tag after it; start and end."""
    rows = ["| tag, then: | " + " | ".join(tags) + " | (end) |", "|---" * (len(tags) + 2) + "|"]
    rows.append("| (start) | " + " | ".join(f"{v:+.1f}" for v in start) + " | |")
    for i, tag in enumerate(tags):
        rows.append(f"| {tag} | " + " | ".join(f"{v:+.1f}" for v in transitions[i]) + f" | {end[i]:+.1f} |")
    return "\n".join(rows)


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


EXAMPLES = {
    "pos": [
        "The quick brown fox jumped over the lazy dog.",
        "The blorptastic flurbs wuzzled quickly.",
        "I can't believe it's already 10:30 and Bob's e-mail hasn't arrived!",
    ],
    "ner": [
        "Peter Blackburn flew to Germany.",
        "Angela Merkel met Emmanuel Macron in Paris on Monday.",
        "Shares of Zorblax Industries rose 5 percent after the Reuters report from New York.",
    ],
}


def load_tagger(path):
    """The saved model and the Encoder built from the vocab.json beside it."""
    model = load_model(path, LESSON)
    vocab = read_json(Path(path).parent / "vocab.json", "the vocabularies the model was trained with", VOCAB_KEYS)
    return model, Encoder(vocab)


def tag_texts(model, encoder, texts):
    """Each text tokenized and tagged, as "word/TAG ..." lines (and, for NER, the entities found)."""
    token_lists = [tokenize(text) for text in texts]
    for text, tokens in zip(texts, token_lists):
        if not tokens:
            raise CourseError(f"{shorten(text)} has no words to tag")
    lines = []
    for tokens, tags in zip(token_lists, predict_tags(model, encoder, encoder.inputs(token_lists))):
        lines.append(" ".join(f"{w}/{t}" for w, t in zip(tokens, tags)))
        found = sorted(entities(tags), key=lambda e: e[1]) if encoder.vocab["task"] == "ner" else []
        if found:
            lines.append("   entities: " + "  ".join(f"[{k} {' '.join(tokens[s:e])}]" for k, s, e in found))
    return lines
