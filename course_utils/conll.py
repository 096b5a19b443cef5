"""Reading tagged sentences (CoNLL-U and CoNLL column files) and scoring named entities.

A tagged corpus is a list of sentences, each a pair ``(tokens, tags)`` of equal-length lists.

    read_conllu(path)                       Universal Dependencies files: FORM and UPOS by default
    read_columns(path, token_column=1, tag_column=-1)
                                            whitespace-separated columns, one token a line
                                            (CoNLL-2000/2003 and a learner's own files)
    iob1_to_iob2(tags)                      "I-PER I-PER" -> "B-PER I-PER"
    check_tags_suit_task(tags, task, where) IOB tags need --task ner, and --task ner needs them
    entities(tags)                          {(type, start, end)}, end exclusive
    entity_scores(gold, predicted)          entity-level precision, recall and F1 (conlleval)

Column numbers are 1-based, as in the CoNLL-U specification (ID=1, FORM=2, UPOS=4,
XPOS=5); a negative number counts from the end (-1 is the last column).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from course_utils import CourseError

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


def _split_tag(tag: str) -> tuple[str, str]:
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
        prefix, kind = _split_tag(tag)
        if prefix == "I" and kind != previous_kind:
            tag = f"B-{kind}"
        converted.append(tag)
        previous_kind = kind
    return converted


def entities(tags: list[str]) -> set[tuple[str, int, int]]:
    """The entities in one sentence's IOB tags as (type, start, end) with end exclusive.

    Follows conlleval: an entity starts at B-X, or at an I-X that does not continue an
    entity of type X; it ends before O, before any B-, and before an I- of another type.
    """
    found = set()
    start, current = None, ""
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, kind = _split_tag(tag)
        continues = prefix == "I" and kind == current and start is not None
        if not continues and start is not None:
            found.add((current, start, i))
            start, current = None, ""
        if prefix in ("B", "I") and not continues:
            start, current = i, kind
    return found


def _prf(correct: int, predicted: int, gold: int) -> dict:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": gold}


def entity_scores(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """Entity-level precision, recall and F1 over a corpus, overall and per entity type.

    An entity counts as correct only when the prediction has the same type over exactly
    the same span; a partly overlapping span is one false positive and one false negative.
    """
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    correct, n_pred, n_gold = Counter(), Counter(), Counter()
    for g_tags, p_tags in zip(gold, predicted):
        if len(g_tags) != len(p_tags):
            raise ValueError("a predicted sentence differs in length from its gold sentence")
        g, p = entities(g_tags), entities(p_tags)
        n_gold.update(kind for kind, _, _ in g)
        n_pred.update(kind for kind, _, _ in p)
        correct.update(kind for kind, _, _ in g & p)
    scores = _prf(sum(correct.values()), sum(n_pred.values()), sum(n_gold.values()))
    scores["per_type"] = {kind: _prf(correct[kind], n_pred[kind], n_gold[kind]) for kind in sorted(n_gold | n_pred)}
    return scores
