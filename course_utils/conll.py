"""Reading tagged sentences (CoNLL-U and CoNLL column files) for lesson 04, with their checks.

A tagged corpus is a list of sentences, each a pair ``(tokens, tags)`` of equal-length lists.

    load_corpus(config)                     lesson 04's train, dev and test sentences, checked
    read_conllu(path)                       Universal Dependencies files: FORM and UPOS by default
    read_columns(path, token_column=1, tag_column=-1)
                                            whitespace-separated columns, one token a line
                                            (CoNLL-2000/2003 and a learner's own files)
    column_pair(text)                       the --columns flag: "1,4" (TOKEN,TAG)
    split_tag(tag)                          "B-PER" -> ("B", "PER"); "O" -> ("O", "")
    iob1_to_iob2(tags)                      "I-PER I-PER" -> "B-PER I-PER"
    check_tags_suit_task(tags, task, where) IOB tags need --task ner, and --task ner needs them

Scoring a tagger, entity spans and entity F1 included, is written in the lesson itself
(lessons/lesson04_tagging.py, saved in lessons.saved.lesson04_tagging).

Column numbers are 1-based, as in the CoNLL-U specification (ID=1, FORM=2, UPOS=4,
XPOS=5); a negative number counts from the end (-1 is the last column).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from course_utils import CourseError, data, tfds_source

Sentence = tuple[list[str], list[str]]
CONLLU_COLUMNS = {"form": 2, "upos": 4, "xpos": 5}
DOCSTART = "-DOCSTART-"


def _lines(path: str | Path):
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as f:
            yield from enumerate(f, start=1)
    except FileNotFoundError:
        raise CourseError(f"file {path} does not exist") from None
    except IsADirectoryError:
        raise CourseError(f"{path} is a folder, not a CoNLL file") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path} is not UTF-8 text") from None


def _pick(fields: list[str], column: int, path, lineno: int, what: str) -> str:
    index = column - 1 if column > 0 else column
    try:
        value = fields[index]
    except IndexError:
        raise CourseError(
            f"{path}, line {lineno}: has {len(fields)} column(s), so there is no column {column} for the {what}"
        ) from None
    if value == "":
        raise CourseError(f"{path}, line {lineno}: the {what} (column {column}) is empty")
    return value


def _check_column(column: int) -> None:
    if column == 0:
        raise CourseError("column numbers start at 1 (or count from the end with -1, -2, ...)")


def read_conllu(path: str | Path, tag_column: int | str = "upos", token_column: int | str = "form") -> list[Sentence]:
    """Sentences of a CoNLL-U file as (forms, tags).

    Comment lines (``#``), multiword-token ranges (``1-2``) and empty nodes (``1.1``) are
    skipped: the syntactic words, not the surface tokens, carry the tags. A line that is
    not 10 tab-separated fields, or whose ID is not a number, stops with the file and line.
    """
    tag_column = CONLLU_COLUMNS.get(tag_column, tag_column) if isinstance(tag_column, str) else tag_column
    token_column = CONLLU_COLUMNS.get(token_column, token_column) if isinstance(token_column, str) else token_column
    for column in (tag_column, token_column):
        if not isinstance(column, int):
            raise CourseError(f"unknown CoNLL-U column {column!r}; use a number or one of {', '.join(CONLLU_COLUMNS)}")
        _check_column(column)
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for lineno, raw in _lines(path):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 10:
            raise CourseError(f"{path}, line {lineno}: expected 10 tab-separated fields (CoNLL-U), found {len(fields)}")
        word_id = fields[0]
        if "-" in word_id or "." in word_id:
            low, _, high = word_id.replace(".", "-").partition("-")
            if not (low.isdigit() and high.isdigit()):
                raise CourseError(f"{path}, line {lineno}: bad word ID {word_id!r}")
            continue  # a multiword token's range, or an empty node
        if not word_id.isdigit():
            raise CourseError(f"{path}, line {lineno}: bad word ID {word_id!r} (expected 1, 2, 3, ...)")
        tokens.append(_pick(fields, token_column, path, lineno, "token"))
        tags.append(_pick(fields, tag_column, path, lineno, "tag"))
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def read_columns(path: str | Path, token_column: int = 1, tag_column: int = -1) -> list[Sentence]:
    """Sentences of a column file: one token a line, blank lines between sentences.

    Columns are split on tabs when the line has a tab, else on any whitespace. Every token line
    must have the same number of columns, and the token and the tag must be different columns:
    a line that breaks either stops with the file and line. ``-DOCSTART-`` lines (document
    boundaries in CoNLL-2003, whether they open or close a document) and ``#`` comment lines
    are skipped.
    """
    _check_column(token_column)
    _check_column(tag_column)
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    width, width_line = None, 0  # the number of columns, as on the first token line
    for lineno, raw in _lines(path):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith(DOCSTART):
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        if line.startswith("# ") or line == "#":
            continue
        fields = line.split("\t") if "\t" in line else line.split()
        tokens.append(_pick(fields, token_column, path, lineno, "token"))
        tags.append(_pick(fields, tag_column, path, lineno, "tag"))
        if _index(token_column, len(fields)) == _index(tag_column, len(fields)):
            raise CourseError(
                f"{path}, line {lineno}: has {len(fields)} column(s), so column {token_column} (the token) and "
                f"column {tag_column} (the tag) are the same one; every token line needs its token and its tag"
            )
        if width is None:
            width, width_line = len(fields), lineno
        elif len(fields) != width:
            raise CourseError(
                f"{path}, line {lineno}: has {len(fields)} columns but line {width_line} has {width}; "
                "every token line needs the same columns (a space inside a token?)"
            )
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def _index(column: int, n_fields: int) -> int:
    """The 0-based position of a 1-based (or negative, from the end) column in a line of ``n_fields``."""
    return column - 1 if column > 0 else n_fields + column


def read_tagged(path: str | Path, token_column: int | None = None, tag_column: int | None = None) -> list[Sentence]:
    """A learner's file: CoNLL-U when it ends in ``.conllu`` (FORM and UPOS unless told), else columns."""
    if Path(path).suffix == ".conllu":
        return read_conllu(path, tag_column or "upos", token_column or "form")
    return read_columns(path, token_column or 1, tag_column or -1)


# IOB tags and entities --------------------------------------------------------------


def split_tag(tag: str) -> tuple[str, str]:
    """("B", "PER") for "B-PER"; ("O", "") for "O". Tags without a prefix count as I-."""
    if tag == "O":
        return "O", ""
    prefix, dash, kind = tag.partition("-")
    if dash and prefix in ("B", "I", "E", "S"):
        return prefix, kind
    return "I", tag


def is_span_tag(tag: str) -> bool:
    """True for an IOB tag that marks part of a span (B-PER, I-LOC, E-ORG, S-MISC)."""
    prefix, dash, kind = tag.partition("-")
    return bool(dash) and prefix in ("B", "I", "E", "S") and bool(kind)


def check_tags_suit_task(tags, task: str, where: str) -> None:
    """One line when a learner's tags do not suit ``task``, before any training.

    IOB tags (O, B-PER, I-PER, ...) mark spans, which are scored as entities: they need
    ``--task ner``. And ``--task ner`` needs IOB tags: it would read "NOUN" as an entity type.
    """
    tags = sorted(set(tags))
    spans = [t for t in tags if t.startswith(("B-", "I-", "E-", "S-"))]
    if task != "ner" and spans:
        raise CourseError(
            f"{where} has IOB span tags ({', '.join(spans[:3])}, ...); add --task ner to train on them "
            "and score whole entities"
        )
    others = [t for t in tags if t != "O" and not is_span_tag(t)]
    if task == "ner" and (others or not any(map(is_span_tag, spans))):
        shown = ", ".join(others[:3]) or "only O"
        raise CourseError(f"--task ner needs IOB tags (O, B-PER, I-PER, ...) but {where} has {shown}")


def iob1_to_iob2(tags: list[str]) -> list[str]:
    """IOB1 (B- only between two touching entities of one type) to IOB2 (B- opens every entity)."""
    converted = []
    previous_kind = ""
    for tag in tags:
        prefix, kind = split_tag(tag)
        if prefix == "I" and kind != previous_kind:
            tag = f"B-{kind}"
        converted.append(tag)
        previous_kind = kind
    return converted


# Lesson 04's data ----------------------------------------------------------------------


def column_pair(text: str) -> str:
    """Check a TOKEN,TAG pair of 1-based column numbers such as "1,4" (negative: from the end)."""
    try:
        token, tag = (int(x) for x in str(text).split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected TOKEN,TAG column numbers such as 1,4; got {text!r}") from None
    if token == 0 or tag == 0:
        raise argparse.ArgumentTypeError("column numbers start at 1 (or -1 for the last column)")
    return f"{token},{tag}"


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


def load_corpus(config) -> tuple[dict[str, list[Sentence]], str]:
    """Lesson 04's {"train", "dev", "test"} -> lists of (tokens, tags), and a description of the source.

    UD English EWT (UPOS) for ``task="pos"``, CoNLL-2003 for ``task="ner"`` (read by the course, or by
    tensorflow-datasets with ``source="tfds"``), or the learner's own three files; NER tags in IOB2; the quick
    configuration's slice. Every problem with the flags or the files stops here, before a run folder exists.
    """
    if config.tags == "iobes" and config.task != "ner":
        raise CourseError("--tags iobes is a scheme for named entities: add --task ner")
    own = [config.train, config.dev, config.test]
    if config.source == "tfds" and (config.task != "ner" or any(own)):
        raise CourseError(
            "--source tfds reads CoNLL-2003 for --task ner only (UD EWT has no tensorflow-datasets builder, "
            "and your own files are read by the course); leave out --source"
        )
    if any(own):
        if not all(own):
            raise CourseError("give --train, --dev and --test together (three files of your own)")
        token_col, tag_col = (int(x) for x in config.columns.split(",")) if config.columns else (None, None)
        splits = {name: read_tagged(path, token_col, tag_col) for name, path in zip(("train", "dev", "test"), own)}
        source = f"your files ({config.train}, {config.dev}, {config.test})"
    elif config.task == "pos":
        splits = {s: read_conllu(data.fetch(f"ud_english_ewt_{s}")) for s in ("train", "dev", "test")}
        source = "UD English EWT r2.16 (UPOS)"
    else:
        files = {s: conll2003_file(f) for s, f in tfds_source.CONLL2003_FILES.items()}  # sha256 checked
        if config.source == "tfds":
            splits = {s: tfds_source.conll2003(s) for s in files}  # tfds.load("conll2003", split=s), as tags
            source = "CoNLL-2003 English through tensorflow-datasets (dev = testa, test = testb)"
        else:
            splits = {s: read_columns(path, 1, 4) for s, path in files.items()}
            source = "CoNLL-2003 English (dev = testa, test = testb)"
    for name, sentences in splits.items():
        if not sentences:
            raise CourseError(f"the {name} data has no sentences")
    known = {t for _, tags in splits["train"] for t in tags}
    if any(own):  # IOB tags need --task ner, and --task ner needs IOB tags
        check_tags_suit_task(known, config.task, f"your training file {config.train}")
    for name in ("dev", "test"):
        unknown = sorted({t for _, tags in splits[name] for t in tags} - known)
        if unknown:
            raise CourseError(f"tag(s) {', '.join(unknown[:5])} in the {name} data never occur in the training data")
    if config.task == "ner":
        splits = {s: [(w, iob1_to_iob2(t)) for w, t in sents] for s, sents in splits.items()}
    if config.quick:
        splits = {"train": splits["train"][:1500], "dev": splits["dev"][:300], "test": splits["test"][:500]}
    return splits, source
