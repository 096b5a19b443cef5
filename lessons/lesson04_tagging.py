"""Lesson 04: synced many-to-many, one tag per word (part of speech, then named entities).

What you will see:
1. Universal Dependencies English EWT (about 12,500 training sentences of web text) read from
   CoNLL-U, and a counting baseline: give every word the tag it had most often in training.
2. A tagger built from three views of each word: a learned word embedding, a small CNN over
   the word's characters (so "blorptastic" still looks like an adjective), and its casing.
   A bidirectional RNN reads the sentence both ways and a softmax at every step picks a tag.
   Padding is masked, in the loss and in the accuracy: only real words count.
3. Test-set token accuracy, accuracy on words never seen in training, precision / recall / F1
   per tag, a confusion matrix, and test sentences with the predicted and gold tags, mistakes
   marked with ^.
4. With --task ner: the same network finds people, places, organisations and other names in
   CoNLL-2003 Reuters news, scored the standard (conlleval) way: an entity counts only when
   its type and its exact span are both right.
5. With --output crf: a CRF output layer that scores whole tag sequences (transition scores
   between neighbouring tags, the forward algorithm for the loss, Viterbi for decoding),
   checked against brute force, and the transition scores it learned.

Run it:  make lesson04                     (part of speech, about 4 minutes on 2 cores)
         make lesson04 ARGS="--task ner"   (named entities)
         make lesson04 ARGS="--task ner --output crf --tags iobes"   (a CRF on IOBES tags)
         make lesson04 ARGS="--task ner --source tfds"   (CoNLL-2003 through tensorflow-datasets: the same data)
         make lesson04 ARGS="--train my.train --dev my.dev --test my.test --columns 1,2"
Predict: python -m lessons.lesson04_tagging predict "The quick brown fox jumped over the lazy dog."
         (then try made-up words: "the blorptastic flurbs wuzzled quickly" -- the characters decide)
Notebook: make notebooks, then open lessons/lesson04_tagging.ipynb
Best settings: --layers 2 --epochs 8, for both tasks (measured by make bench: bench/results.md).
"""

# %%
import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import itertools
import json
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
from course_utils.lesson import LessonConfig, SourceOption, configure, flag, show, show_figure
from course_utils.progress import progress
from course_utils.repro import set_seed
from course_utils.runs import Run, display_path, load_model, write_atomic
from course_utils.text import bucketed_batches

LESSON = "lesson04_tagging"
WORD_CHARS = 16  # longer words keep their first and last 8 characters: prefixes and suffixes carry the tag
MAX_CHARS = WORD_CHARS + 2  # plus begin- and end-of-word markers
PAD = "<pad>"  # word id 0 (and char id 0, case id 0): padding, masked
UNK = "<unk>"  # word id 1: a word not in the vocabulary
BOW = "<w>"  # begin- and end-of-word markers around each word's characters
EOW = "</w>"
f"Keras {keras.__version__} on {keras.backend.backend()}"  # a notebook shows the value of a cell's last line

# %% [markdown]
# ## 0. Configuration
# Everything this lesson can vary is one field below. In a notebook, edit the defaults and run
# the lesson again; as a script every field is a flag (`--task ner`, `--layers 2`). `--quick`
# (or `COURSE_QUICK=1` in the environment, for a notebook) trains two epochs on a small real
# slice of the data. Your own data: three files (`train`, `dev`, `test`) in CoNLL-U or one
# token a line, and `columns` says which columns hold the token and its tag.


# %%
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


config = configure(Config, LESSON)
set_seed(config.seed)
print(
    f"Lesson 04: {config.task_name()} with a bidirectional {config.cell.upper()}{' (quick)' if config.quick else ''}."
)
show(config)

# %% [markdown]
# ## 1. The data: one tag per word
# A CoNLL-U file has one word a line and ten tab-separated columns; we keep FORM (the word)
# and UPOS (its universal part of speech, 17 tags). Lines starting with `#` are comments,
# `1-2` lines are contractions ("don't" = "do" + "n't") whose parts follow, and `8.1` lines
# are empty nodes: both are skipped (course_utils/conll.py). CoNLL-2003 has four
# space-separated columns and IOB1 entity tags, which we turn into IOB2 (every entity starts
# with B-) before training, so that the model learns one clear rule. `conll.load_corpus` reads
# the three files and checks them and the flags (before a run folder exists); with `--quick` it
# keeps a small slice. `--task ner --source tfds` reads the same sentences through
# tensorflow-datasets: see the README's section "Through tensorflow-datasets".


# %%
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


splits, source = conll.load_corpus(config)  # first: a data problem should not leave an empty run folder
set_seed(config.seed)  # tfds draws random numbers while it prepares its copy: the model starts from the same seed
train_set, dev_set, test_set = splits["train"], splits["dev"], splits["test"]
run = Run.start(LESSON, config, cell=f"{config.task}-{config.cell}")
print(f"Outputs go to {display_path(run.path)}\n")
print(
    f"{source}: " + ", ".join(f"{len(s):,} {n}" for n, s in splits.items()) + " sentences "
    f"({sum(len(t) for t, _ in train_set):,} training words)"
)
tag_counts = Counter(t for _, tags in train_set for t in tags)
print(f"{len(tag_counts)} tags, commonest first: " + ", ".join(f"{t} {n:,}" for t, n in tag_counts.most_common()))
# A short training sentence to follow through the lesson (for NER, one that names something).
example = next(
    (s for s in train_set if 8 <= len(s[0]) <= 20 and s[0][0].isalpha() and set(s[1]) != {"O"}), train_set[0]
)
print(f"\nA training sentence, one tag per word ({len(example[0])} words):")
print(aligned([("word", example[0]), ("tag", example[1])]))

# %% [markdown]
# ## 2. How we score a tagger, and the baseline to beat
# Accuracy over all test words is dominated by easy, frequent words ("the", ".", "and").
# Two harder views: accuracy on words never seen in training (where the word embedding is
# just `<unk>` and the characters must do the work), and precision / recall / F1 per tag:
# precision, of the words given a tag, how many have it; recall, of the words that have it,
# how many got it; F1, their harmonic mean. Here they are on a made-up sentence and a
# prediction of it that gets one tag wrong.


# %%
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


toy_words = "Angela Merkel met Emmanuel Macron in New York".split()
toy_gold = "B-PER I-PER O B-PER I-PER O B-LOC I-LOC".split()
toy_predicted = "B-PER I-PER O B-PER O O B-LOC I-LOC".split()  # "Macron" missed
print(aligned([("word", toy_words), ("gold", toy_gold), ("pred", toy_predicted)]))
toy = token_scores(toy_gold, toy_predicted, sorted(set(toy_gold)), unseen=[False] * len(toy_gold))
print(f"\nToken accuracy {toy['accuracy']:.3f} (7 of 8 tags right); per tag:")
for tag, s in toy["per_tag"].items():
    print(
        f"  {tag:<6} precision {s['precision']:.2f}, recall {s['recall']:.2f}, F1 {s['f1']:.2f} ({s['support']} gold)"
    )

# %% [markdown]
# For named entities token accuracy is misleading: most tokens are O, and a tag that is right
# is no use when its entity is cut short. So we score whole entities, as the CoNLL shared task
# did (its conlleval script). An entity is a span: B-X opens one of type X, the I-X tags after
# it continue it, and it ends before O, before any B-, and before an I- of another type (an
# I-X that continues nothing opens a new entity, as in IOB1). A predicted entity counts only if
# a gold entity has the same type and exactly the same span; a span that is one word short is
# one false positive and one false negative. Precision, recall and F1 are then counted over
# entities, overall and per entity type. (Exercise ex04b has you write the span reader first:
# `make check EX=ex04b`.)


# %%
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


print("gold entities:     ", sorted(entities(toy_gold), key=lambda e: e[1]))
print("predicted entities:", sorted(entities(toy_predicted), key=lambda e: e[1]))
toy_entities = entity_scores([toy_gold], [toy_predicted])
print(
    f"Entity precision {toy_entities['precision']:.3f} (2 of 3 predicted), recall {toy_entities['recall']:.3f} "
    f"(2 of 3 gold), F1 {toy_entities['f1']:.3f}: one wrong tag, one wrong entity and one missed"
)

# %% [markdown]
# The yardstick for both: tag each word with the tag it had most often in training (unseen
# words get the commonest tag). On the made-up sentence:


# %%
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


baseline_tagger = most_frequent_tag_baseline(train_set)
print("The baseline's tags for the made-up sentence:")
print(aligned([("word", toy_words), ("tag", baseline_tagger(toy_words))]))

# %% [markdown]
# Both scores at once for a whole test set, and the baseline's on the test set, the way the
# tagger will be scored:


# %%
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


all_tags = sorted(tag_counts)
seen_words = {w.lower() for tokens, _ in train_set for w in tokens}
base = evaluate(test_set, [baseline_tagger(tokens) for tokens, _ in test_set], all_tags, seen_words)
print(
    f"Most-frequent-tag baseline on the {sum(len(t) for t, _ in test_set):,} test words "
    f"({base['unseen_tokens']:,} of them never seen in training):"
)
print(score_line(base))

# %% [markdown]
# ## 3. Turning words into numbers, three ways
# * the word itself, lower-cased with digits replaced by 0, looked up in a vocabulary of
#   words seen at least `min_count` times in training (rarer ones become `<unk>`, so the
#   model also learns what to do with a word it does not know);
# * its characters, up to 16 of them between begin and end markers, for the character CNN;
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


print(f"{'word':<24} {'normalised':<24} {'casing':<10} characters (of a long word, the first and last 8)")
for word in ("Merkel", "NATO", "1996", "3.5%", "counterrevolutionaries"):
    print(f"{word:<24} {normalise(word):<24} {CASES[casing(word)]:<10} {' '.join(word_chars(word))}")

# %% [markdown]
# With `tags = "iobes"` (NER only) the model learns IOBES tags instead of IOB2: S-X marks a
# one-word entity and E-X an entity's last word, so every tag also says where its entity ends.
# Its predictions are turned back into IOB2 before they are scored. With the CRF on all of
# CoNLL-2003 it scored about a point of entity F1 above IOB2 (`make bench ARGS="lesson04
# ner-crf-iobes"`; the README's table), though not on the quick run's 1,500 sentences.


# %%
def iob2_to_iobes(tags: list[str]) -> list[str]:
    """IOB2 to IOBES: B-X alone is S-X, and the I-X that ends an entity is E-X."""
    following = [*tags[1:], "O"]
    ends = [after != f"I-{tag[2:]}" for tag, after in zip(tags, following)]
    return [{"B-": "S-", "I-": "E-"}.get(tag[:2], tag[:2]) + tag[2:] if end else tag for tag, end in zip(tags, ends)]


def iobes_to_iob2(tags: list[str]) -> list[str]:
    """IOBES back to IOB2: S-X is B-X and E-X is I-X."""
    return [{"S-": "B-", "E-": "I-"}.get(tag[:2], tag[:2]) + tag[2:] for tag in tags]


toy_iobes = iob2_to_iobes(toy_gold)
print(aligned([("word", toy_words), ("iob2", toy_gold), ("iobes", toy_iobes)]))
print(f"\nand back to IOB2 unchanged: {iobes_to_iob2(toy_iobes) == toy_gold}")

# %% [markdown]
# The vocabularies come from the training sentences alone: the words (normalised) seen at least
# `min_count` times, the characters seen at least twice, and the tags the model learns.


# %%
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


if config.tags == "iobes":  # what the model learns; scores stay in IOB2
    learned_splits = {name: [(w, iob2_to_iobes(t)) for w, t in sents] for name, sents in splits.items()}
else:
    learned_splits = splits
vocab = build_vocab(learned_splits["train"], config.task, config.min_count)
vocab["scheme"] = config.tags  # predict turns IOBES predictions back into IOB2
print(
    f"{len(vocab['words']):,} words (seen at least {config.min_count}x), {len(vocab['chars'])} characters, "
    f"{len(vocab['tags'])} tags: {' '.join(vocab['tags'])}"
)

# %% [markdown]
# The `Encoder` turns sentences into three padded integer arrays (words, characters, casing)
# and their tags into ids. Every id 0 is padding. Tags are stored as id + 1 for the same
# reason: 0 marks "no word here".


# %%
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


encoder = Encoder(vocab)
encoded = {name: encoder.encode(sentences) for name, sentences in learned_splits.items()}
print(
    "Training arrays: "
    + ", ".join(f"{name} {a.shape}" for name, a in zip(("words", "chars", "case", "tags"), encoded["train"]))
)

# %% [markdown]
# The example sentence of section 1 as the model gets it:


# %%
ex_words, ex_chars, ex_case = encoder.inputs([example[0]])
ex_learned = iob2_to_iobes(example[1]) if config.tags == "iobes" else example[1]
ex_tags = encoder.tag_ids([ex_learned])
print("The example sentence as ids (the word vocabulary, the casing classes, the tags + 1):")
as_ids = [
    ("word", example[0]),
    ("id", [str(i) for i in ex_words[0]]),
    ("seen", [vocab["words"][i] for i in ex_words[0]]),
    ("case", [str(i) for i in ex_case[0]]),
    ("", [CASES[i] for i in ex_case[0]]),
    *([("tags", ex_learned)] if config.tags == "iobes" else []),
    ("tag", [str(i) for i in ex_tags[0]]),
]
print(aligned(as_ids))
longest = max(range(len(example[0])), key=lambda i: len(example[0][i]))
print(f'\nThe characters of "{example[0][longest]}", as the CNN gets them: {ex_chars[0, longest].tolist()}')
print("   = " + " ".join(vocab["chars"][i] for i in ex_chars[0, longest] if i))

# %% [markdown]
# ## 4. Batches of similar length, and the mask
# Sentences are grouped by length (`course_utils.text.bucketed_batches`), and each batch is cut
# to its longest sentence, so the RNN steps through little padding. The loss and the accuracy
# get a weight per word: 1 for a real word, 0 for padding. The model tells its RNN the same
# thing with a mask (section 6), so padded steps do not change its state.


# %%
def model_batch(words, chars, case, tags):
    """A bucketed (words, chars, case, tags + 1) batch as the model wants it: inputs, tag ids, weights."""
    chars = tf.cast(chars[:, : tf.shape(words)[1]], "int32")  # chars come whole; cut them like the words
    inputs = {"words": words, "chars": chars, "case": case}
    return inputs, tf.maximum(tags - 1, 0), tf.cast(tags > 0, "float32")  # weight 1 for a real word, 0 for padding


def tagged_batches(arrays, batch_size, seed=None):
    """Batches of similar-length sentences (shuffled every epoch when seeded) in the model's format."""
    return bucketed_batches(arrays, batch_size, seed=seed).map(model_batch)


batch_inputs, batch_tags, batch_weights = next(iter(tagged_batches(encoded["train"], config.batch_size, config.seed)))
print(
    "One training batch: "
    + ", ".join(f"{k} {tuple(v.shape)}" for k, v in batch_inputs.items())
    + f"; tags {tuple(batch_tags.shape)}, weights {tuple(batch_weights.shape)}"
)
real = keras.ops.convert_to_numpy(batch_weights).sum(axis=1).astype(int)
print(f"Real words per sentence in it: {real[:12].tolist()}{' ...' if len(real) > 12 else ''}")
weights = keras.ops.convert_to_numpy(batch_weights)
print(f"The weights (the mask) of its first two sentences:\n{weights[:2].astype(int)}")
all_words = encoded["train"][0]
print(
    f"Padding: {1 - weights.mean():.1%} of this batch; "
    f"{1 - np.mean(all_words != 0):.1%} if every sentence were padded to the longest ({all_words.shape[1]} words)"
)

# %% [markdown]
# ## 5. Hiding rare words while training
# A word seen once in training has an embedding trained on one sentence; on new text most
# unknown words are of that kind. So while training, each word is hidden as `<unk>` with
# chance alpha / (alpha + its count): rare words are hidden often, frequent ones almost never,
# and the model keeps practising what it will meet on new text, a word that only its
# characters and casing describe. The layer does nothing when the model predicts.


# %%
def word_dropout_rates(train, vocab, alpha):
    """Per word id, the chance of hiding it as <unk> in a training batch: alpha / (alpha + count)."""
    counts = Counter(normalise(w) for tokens, _ in train for w in tokens)
    rates = np.array([alpha / (alpha + counts[w]) if counts[w] else 0.0 for w in vocab["words"]])
    rates[:2] = 0.0  # never "drop" padding or <unk> itself
    return rates


hide_rates = word_dropout_rates(train_set, vocab, config.word_dropout) if config.word_dropout else None
if hide_rates is None:
    print("Word dropout is off (word_dropout = 0).")
else:
    alpha = config.word_dropout
    print(
        f"alpha = {alpha}: "
        + ", ".join(f"a word seen {n}x is hidden {alpha / (alpha + n):.1%}" for n in (2, 5, 20, 100))
    )
    print(f"Over the whole vocabulary: {hide_rates.mean():.1%} on average")

# %% [markdown]
# The layer that hides them: it draws one random number per word in every training batch.


# %%
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


if hide_rates is None:
    print("No word is hidden (word_dropout = 0).")
else:
    hider = RareWordDropout(hide_rates, seed=config.seed)
    rows = np.tile(ex_words, (1000, 1))
    hidden = keras.ops.convert_to_numpy(hider(rows, training=True)) != rows
    print(f"Each word of the example hidden in 1,000 training passes (alpha = {config.word_dropout}):")
    rates_row = [f"{hide_rates[i]:.2f}" for i in ex_words[0]]
    print(aligned([("word", example[0]), ("rate", rates_row), ("hid", [f"{h:.0%}" for h in hidden.mean(axis=0)])]))
    unchanged = np.array_equal(keras.ops.convert_to_numpy(hider(rows)), rows)
    print(f"When predicting, every word is kept: {unchanged}")

# %% [markdown]
# ## 6. The model
# The character CNN slides 3-character filters along each word and keeps each filter's
# strongest response (max pooling): a filter that fires on "ing" or "ly" or a capital
# letter after a hyphen gives every word, known or not, a useful description. Word, char
# and case vectors are concatenated into one vector per word:


# %%
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


print(
    f"Each word becomes {config.word_dim} (word) + {config.char_filters} (characters) + 4 (casing) "
    f"= {config.word_dim + config.char_filters + 4} numbers"
)

# %% [markdown]
# ### A CRF output layer (`output = "crf"`)
# A softmax at the end picks each word's tag on its own, so nothing stops it from writing `B-LOC I-PER`,
# an entity that changes type halfway. A linear-chain CRF adds a score for every pair of
# neighbouring tags (a `tags x tags` transition matrix, plus a score for the first and the last
# tag) and scores whole tag sequences: the sum of the per-word scores the network gives
# (emissions) and the transitions along the path. Padded steps add nothing, so a sentence's
# score stops at its last real word. Here is one path's score on a tiny random CRF (3 tags,
# 4 words), and the same sum written out:


# %%
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


emissions, transitions, start, end = random_crf()
path, words_mask = np.array([[0, 1, 2, 1]]), np.ones((1, 4), "float32")
score = float(keras.ops.convert_to_numpy(crf_path_score(emissions, path, words_mask, transitions, start, end))[0])
by_hand = start[0] + emissions[0, [0, 1, 2, 3], [0, 1, 2, 1]].sum() + transitions[0, 1] + transitions[1, 2]
by_hand += transitions[2, 1] + end[1]
print(f"Score of the tag path 0 1 2 1: {score:.4f}; start + emissions + transitions + end: {by_hand:.4f}")

# %% [markdown]
# Training maximises the gold path's share of all paths: loss = log Z - score(gold), where
# log Z, the log of the summed exp-scores of every possible path (17^20 for a 20-word POS
# sentence), comes from the forward algorithm in length x tags^2 steps, in log space
# (logsumexp) so that nothing overflows. A padded step leaves the running sums as they are.


# %%
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


log_z = float(keras.ops.convert_to_numpy(crf_log_partition(emissions, words_mask, transitions, start, end))[0])
print(f"log Z = {log_z:.4f}: the path 0 1 2 1 has probability exp(score - log Z) = {np.exp(score - log_z):.4f}")

# %% [markdown]
# Predicting, Viterbi finds the single best path: the same recursion with max in place of
# logsumexp, then backtracking. On the tiny case both are checked against brute force: all
# 3^4 = 81 paths scored one by one.


# %%
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


check = brute_force_check()
print(
    f"A random CRF with 3 tags on 4 words: {check['paths']} paths. log Z by the forward algorithm "
    f"{check['log_z']:.5f}, by summing all paths {check['brute_log_z']:.5f}"
)
print(f"Viterbi's best path {check['viterbi']}, the best of all {check['paths']} paths {check['brute_best']}")

# %% [markdown]
# The layer that holds the transition, start and end scores. It passes the per-word scores
# through unchanged; the loss and Viterbi read its scores.


# %%
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


toy_crf = CRF(3)
shapes = {name: tuple(w.shape) for name, w in zip(("transitions", "start", "end"), toy_crf.scores())}
print(f"A new CRF layer for 3 tags holds {shapes}, all 0 until it is trained")

# %% [markdown]
# And the loss, log Z - score(gold) per real word, reading the layer's scores. With every
# transition at 0 the tags are independent, and it is exactly the softmax's cross-entropy:
# the transitions are what a CRF adds.


# %%
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


gold = np.array([[0, 1, 2, 1]])
crf_loss = CRFLoss(toy_crf)(gold, emissions, words_mask)
softmax_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(gold, emissions)
print(f"CRF loss with zero transitions {float(crf_loss):.5f}; softmax cross-entropy {float(softmax_loss):.5f}")

# %% [markdown]
# ### The whole model
# A bidirectional RNN reads the word vectors: the forward half has seen the words to the left,
# the backward half the words to the right, so the tag of "book" can depend on whether "a" or
# "to" came before it. A Dense softmax applied at every step (a Dense layer on 3-D input acts on
# the last axis, step by step) gives one tag each.
#
# The mask (word id != 0) goes to each RNN layer directly. An Embedding's `mask_zero=True` would
# not survive here: `Concatenate` treats an input without a mask (the char and case vectors) as
# all real words, so the backward RNN would read the padding first and a sentence's tags would
# depend on how long its batch-mates are. The `not_equal` row of the summary is that mask; the
# non-trainable parameters are the word-hiding rates of section 5. With `output = "crf"` the
# Dense layer gives raw scores instead of probabilities, and the CRF picks the whole sequence.


# %%
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


steps = config.epochs * -(-len(train_set) // config.batch_size)  # for the learning-rate schedule
model = build_model(vocab, config, total_steps=steps, hide_rates=hide_rates)
model.summary()

# %% [markdown]
# Predicting: the likeliest tag of each word, or with a CRF Viterbi's best path. The untrained
# model's guesses for the example sentence:


# %%
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


untrained = predict_tags(model, encoder, encoder.inputs([example[0]]))[0]
print("Untrained, it guesses (pred) against the gold tags, ^ marks a mistake:")
print(show_sentence(example[0], example[1], untrained))

# %% [markdown]
# ## 7. Training
# One line per epoch: loss and accuracy (real words only) on the training sentences, then on
# the development set. For named entities, token accuracy is high from the first epoch (most
# words are O), so a callback also scores whole entities on the development set every epoch
# (`val_entity_f1`). `run.fit` calls `model.fit` with the run's callbacks (TensorBoard logs, a
# backup after every epoch): an interrupted run resumes from its last finished epoch (`--run-dir`).


# %%
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


write_atomic(run.file("vocab.json"), json.dumps(vocab, ensure_ascii=False) + "\n")  # predict needs it
history = run.fit(
    model,
    tagged_batches(encoded["train"], config.batch_size, seed=config.seed),
    validation_data=tagged_batches(encoded["dev"], 256),
    epochs=config.epochs,
    callbacks=[DevEntityF1(encoder, dev_set)] if config.task == "ner" else [],
)
model_path = run.save_model(model)

# %% [markdown]
# The training curves: loss and accuracy on the training and development sentences, epoch by epoch.

# %%
kind = "UPOS" if config.task == "pos" else "NER"
curves = show_figure(
    plots.training_curves(history.history, title=f"{kind} tagger ({config.cell})"), run, "training_curves.png"
)
print(f"Saved {model_path.name} and {curves.name} in the run folder")

# %% [markdown]
# ## 8. How good is it?
# The scores of section 2 on the test set, next to the baseline's: overall, then per tag (and
# for NER per entity type).


# %%
def per_tag_table(scores, baseline, heading="tag"):
    """A Markdown table, commonest tag first: precision, recall, F1 (and the baseline's F1), support."""
    rows = [f"| {heading} | precision | recall | F1 | baseline F1 | support |", "|---|---|---|---|---|---|"]
    for tag, s in sorted(scores.items(), key=lambda kv: -kv[1]["support"]):
        rows.append(
            f"| {tag} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} "
            f"| {baseline.get(tag, {}).get('f1', 0.0):.3f} | {s['support']:,} |"
        )
    return "\n".join(rows)


predicted = predict_tags(model, encoder, encoded["test"][:3])
scores = evaluate(test_set, predicted, all_tags, seen_words)
print(f"Test set ({sum(len(t) for t, _ in test_set):,} words, {scores['unseen_tokens']:,} unseen in training):")
print(score_line(scores, base))
for name in ("accuracy", "accuracy_unseen"):
    run.log_scalar(f"test/{name}", scores[name], config.epochs)
f1_scores, base_f1 = scores["per_tag"], base["per_tag"]
if "entities" in scores:
    run.log_scalar("test/entity_f1", scores["entities"]["f1"], config.epochs)
    f1_scores, base_f1 = scores["entities"]["per_type"], base["entities"]["per_type"]
    show(per_tag_table(f1_scores, base_f1, heading="entity type"))
show(per_tag_table(scores["per_tag"], base["per_tag"]))

# %% [markdown]
# Two pictures of the same numbers. The confusion matrix: each row is a gold tag, each column
# a predicted one, so the diagonal is each tag's recall and the bright cells off it are the
# tags the model mixes up.


# %%
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


confusion_png = show_figure(
    plot_confusion(scores["confusion"], all_tags, f"{kind} confusion on the test set"), run, "confusion_matrix.png"
)
print(f"Saved {confusion_png.name} in the run folder")

# %% [markdown]
# Then the F1 per tag (per entity type for NER) next to the baseline's.


# %%
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


what = "per tag" if "entities" not in scores else "per entity type (exact spans)"
f1_png = show_figure(plot_f1(f1_scores, base_f1, f"Test F1 {what}"), run, "f1_per_tag.png")
print(f"Saved {f1_png.name} in the run folder")

# %% [markdown]
# ## 9. Reading its mistakes
# A few short test sentences, mostly ones with at least one mistake: the predicted tags above
# the gold ones, ^ under each mistake.


# %%
def pick_examples(test, predicted, rng, count=4):
    """A few short test sentences, mostly ones with at least one mistake."""
    short = [i for i, (toks, _) in enumerate(test) if 5 <= len(toks) <= 18]
    wrong = [i for i in short if predicted[i] != test[i][1]]
    right = [i for i in short if predicted[i] == test[i][1]]
    chosen = list(rng.choice(wrong, min(count - 1, len(wrong)), replace=False)) if wrong else []
    if right:
        chosen.append(int(rng.choice(right)))
    return sorted(int(i) for i in chosen)


examples = []
for i in pick_examples(test_set, predicted, np.random.default_rng(config.seed)):
    examples.append(f"  test sentence {i + 1}:\n" + show_sentence(test_set[i][0], test_set[i][1], predicted[i]))
    print(examples[-1] + "\n")
run.log_text("test/examples", "\n\n".join(f"```\n{e}\n```" for e in examples), config.epochs)

# %% [markdown]
# ## 10. What a CRF learns about neighbouring tags
# A softmax tagger can predict `I-PER` right after `O` or `B-LOC`, a sequence no gold file
# contains; we count such broken entities in its test predictions.


# %%
def broken_entities(tag_lists):
    """How many I-X tags follow neither B-X nor I-X: entities that could not exist in IOB2."""
    return sum(
        1
        for tags in tag_lists
        for before, tag in zip(["O", *tags], tags)
        if tag.startswith("I-") and before[2:] != tag[2:]
    )


if config.task == "ner":
    print(
        f"Broken entities (I-X after neither B-X nor I-X) in the {config.output} tagger's test predictions: "
        f"{broken_entities(predicted)} (gold: {broken_entities(t for _, t in test_set)})"
    )
else:
    print("Part-of-speech tags have no entities to break: this count is for --task ner.")

# %% [markdown]
# With `output = "crf"` the transition scores are trained with everything else: below, row = a
# tag, column = the tag that follows it (and the scores for starting and ending a sentence).
# Pairs that never occur in the training data, such as `O` or `B-LOC` then `I-PER`, get the
# lowest scores, the pairs that open and continue an entity the highest: Viterbi then has to
# have strong evidence from the words to write a broken entity.


# %%
def transition_table(transitions, start, end, tags):
    """A Markdown table of the CRF's scores: row = a tag, column = the tag after it; start and end."""
    rows = ["| tag, then: | " + " | ".join(tags) + " | (end) |", "|---" * (len(tags) + 2) + "|"]
    rows.append("| (start) | " + " | ".join(f"{v:+.1f}" for v in start) + " | |")
    for i, tag in enumerate(tags):
        rows.append(f"| {tag} | " + " | ".join(f"{v:+.1f}" for v in transitions[i]) + f" | {end[i]:+.1f} |")
    return "\n".join(rows)


learned = crf_weights(model)
if learned is None:
    print(
        f"This run's output is {config.output}: each word's tag is chosen alone, so there are no transition "
        'scores to show. Train with --output crf (in a notebook: output = "crf" in section 0) to see them.'
    )
else:
    transitions, start_scores, end_scores = learned
    show(transition_table(transitions, start_scores, end_scores, vocab["tags"]))
    order = np.argsort(transitions, axis=None)
    pair = lambda k: f"{vocab['tags'][k // len(transitions)]} -> {vocab['tags'][k % len(transitions)]}"  # noqa: E731
    print("Lowest-scored neighbours: " + ", ".join(f"{pair(k)} {transitions.flat[k]:+.1f}" for k in order[:5]))
    print("Highest-scored neighbours: " + ", ".join(f"{pair(k)} {transitions.flat[k]:+.1f}" for k in order[::-1][:5]))
    fig = plots.heatmap(
        transitions,
        row_labels=vocab["tags"],
        col_labels=vocab["tags"],
        title="CRF transition scores (row: a tag, column: the next tag)",
        xlabel="next tag",
        ylabel="tag",
        fmt="{:.1f}",
        cmap="RdBu",
        annotate=len(transitions) <= 12,
    )
    print(f"Saved {show_figure(fig, run, 'crf_transitions.png').name} in the run folder")

# %% [markdown]
# ## 11. Saving the results
# `model.keras` is the trained tagger and `vocab.json` beside it the vocabularies that turn words
# into its numbers. `metrics.json` records the scores and the whole configuration above.

# %%
results = {"test": scores, "baseline": base}
metrics = {f"{who}_{key}": r[key] for who, r in results.items() for key in ("accuracy", "accuracy_unseen")}
last = {key: values[-1] for key, values in history.history.items()}
metrics.update(data=source, unseen_test_tokens=scores["unseen_tokens"], dev_accuracy=last["val_accuracy"])
metrics.update(per_tag=scores["per_tag"], train_seconds=history.seconds, model_path=model_path)
if "entities" in scores:  # entity precision, recall and F1 of the tagger and the baseline, per type, on dev
    entity = {who: r["entities"] for who, r in results.items()}
    metrics |= {f"{who}_entity_{key}": e[key] for who, e in entity.items() for key in ("f1", "precision", "recall")}
    metrics.update(per_entity_type=scores["entities"]["per_type"], dev_entity_f1=last["val_entity_f1"])
    metrics["test_broken_entities"] = broken_entities(predicted)
run.write_metrics(metrics, config, train_sentences=len(train_set), test_sentences=len(test_set))
run.finish()

# %% [markdown]
# ## 12. Tagging your own sentences
# New text must first be cut into the words the treebank would have. The tokenizer is
# deliberately simple: it splits off punctuation and the clitics "n't" and "'s" the way the
# treebank does.


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


print(tokenize("I can't believe it's already 10:30 and Bob's e-mail hasn't arrived!"))

# %% [markdown]
# The reloaded model with its vocab.json tags sentences it has never seen. Made-up words get
# their tags from their spelling and their neighbours. The same from the command line:
# `python -m lessons.lesson04_tagging predict "The blorptastic flurbs wuzzled quickly."`


# %%
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


reloaded, reloaded_encoder = load_tagger(model_path)
print("\n".join(tag_texts(reloaded, reloaded_encoder, EXAMPLES[config.task])))
print(f'\nTry it: python -m lessons.{LESSON} predict --model {display_path(model_path)} "Your sentence here."')
print("Next: the exercises for this lesson: make check EX=ex04   (stuck? make hint EX=ex04a)")
