"""Reading what the course did not compute itself: the learner's input, and the files a run left.

Every reader here fails with one line (a ``CourseError``) that names the file, or which input,
and says what is wrong: never a traceback, and never the whole of a huge input echoed back.

    read_json(path, what)                 a JSON file a run wrote (vocab.json, translation.json, ...)
    read_text_file(path, what)            a text file: there, not a folder, not too big, UTF-8, not binary
    text_inputs(arguments, what, ...)     what ``predict`` was given: its arguments, a file's lines, or stdin
    check_text(text, where, what, ...)    one input: not too long, no control characters
    shorten(text)                         a repr() short enough for an error line
    shown(text)                           text from a file, safe to print (control characters escaped)

A run writes its side files with ``course_utils.atomic``, so a reader sees the old file or the new
one; a file cut short anyway (a full disk, a copy interrupted) is "damaged", and the message says
how to get a good one.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from course_utils import CourseError

MAX_FILE_BYTES = 20_000_000  # a text file the learner gives: a review file, a corpus to train on
MAX_SIDE_FILE_BYTES = 200_000_000  # a JSON file a run wrote (vocabularies can be large)
MAX_INPUTS = 100_000  # texts in one predict call
# C0 control characters other than tab, line feed, vertical tab, form feed and carriage return,
# and DEL: text never has them, binary files almost always do.
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
RETRAIN = "train again to write it"


def shorten(text: str, limit: int = 40) -> str:
    """``repr(text)``, cut after ``limit`` characters with the full length added, for error lines."""
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def _read_bytes(path: Path, label: str, max_bytes: int) -> bytes:
    """The bytes of a regular file, at most ``max_bytes`` of them; ``label`` names it in errors."""
    try:
        if path.is_dir():
            raise CourseError(f"{label} is a folder, not a file")
        if not path.exists():
            raise CourseError(f"{label} does not exist")
        if not path.is_file():
            raise CourseError(f"{label} is not a regular file (a device or a pipe?)")
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as err:
        raise CourseError(f"cannot read {label}: {err.strerror or err}") from None
    if len(raw) > max_bytes:
        raise CourseError(f"{label} is over {_megabytes(max_bytes)}, too big for this")
    return raw


def _decode(raw: bytes, label: str) -> str:
    """UTF-8 text (a byte-order mark is dropped) without control characters, or a one-line error."""
    if b"\x00" in raw:
        raise CourseError(f"{label} looks binary (it contains NUL bytes); give UTF-8 text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise CourseError(f"{label} is not UTF-8 text (a bad byte on line {line}); save it as UTF-8") from None
    bad = CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise CourseError(
            f"{label} looks binary (a control character, U+{ord(bad.group()):04X}, on line {line}); give UTF-8 text"
        )
    return text


def read_text_file(path: str | Path, what: str = "the file", max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a file the learner gave, e.g. ``read_text_file(args.file, "the review file")``.

    One line names the file when it is missing, a folder, bigger than ``max_bytes``, binary or
    not UTF-8.
    """
    label = f"{what} {path}"
    return _decode(_read_bytes(Path(path), label, max_bytes), label)


def read_json(path: str | Path, what: str, keys: Sequence[str] = (), remedy: str = RETRAIN) -> dict:
    """A JSON object the course wrote, e.g. ``read_json(folder / "vocab.json", "the model's vocabularies")``.

    ``what`` says what the file holds and ``remedy`` how to get a good one; ``keys`` are the
    entries it must have. Missing, damaged (cut short, edited) or of the wrong shape: one line.
    """
    path = Path(path)
    if not os.path.lexists(path):
        raise CourseError(f"{path} is missing: it holds {what}; {remedy}")
    raw = _read_bytes(path, str(path), MAX_SIDE_FILE_BYTES)
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CourseError(f"{path} is damaged (not UTF-8 text): it should hold {what}; {remedy}") from None
    except json.JSONDecodeError as err:
        problem = "empty" if not raw.strip() else f"{err.msg}, line {err.lineno}"
        raise CourseError(f"{path} is damaged (not valid JSON: {problem}): it should hold {what}; {remedy}") from None
    if not isinstance(value, dict):
        raise CourseError(f"{path} is damaged (not a JSON object): it should hold {what}; {remedy}")
    missing = [key for key in keys if key not in value]
    if missing:
        raise CourseError(f"{path} lacks {', '.join(map(repr, missing))}: it should hold {what}; {remedy}")
    return value


def check_text(text: str, where: str, what: str, max_chars: int) -> str:
    """``text`` itself when it is at most ``max_chars`` characters of plain text, else one line.

    ``where`` says which input it is ("input 2", "reviews.txt, line 7") and ``what`` what it
    should be ("a review").
    """
    if len(text) > max_chars:
        raise CourseError(f"{where} ({what}) is {len(text):,} characters long; the limit is {max_chars:,}")
    bad = CONTROL.search(text)
    if bad:
        raise CourseError(
            f"{where} ({what}) has a control character (U+{ord(bad.group()):04X}) at position {bad.start() + 1}; "
            "give plain text"
        )
    return text


def _checked_lines(text: str, where: str, what: str, max_chars: int) -> list[str]:
    """The non-blank lines of ``text``, each checked; ``where`` names the file in errors."""
    lines = text.splitlines()
    return [check_text(line, f"{where}, line {n}", what, max_chars) for n, line in enumerate(lines, 1) if line.strip()]


def text_inputs(
    arguments: Sequence[str],
    what: str,
    max_chars: int,
    *,
    file: str | Path | None = None,
    stdin: bool = False,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> list[str]:
    """The texts ``predict`` was given, each checked by ``check_text``, before any model is loaded.

    The command-line ``arguments`` come first, then the non-blank lines of ``file``. With
    ``stdin``, a lone ``-`` argument (or no input at all while standard input is not a
    terminal) reads the non-blank lines of standard input instead.
    """
    arguments = list(arguments)
    if stdin and file is None and (arguments == ["-"] or (not arguments and not _interactive())):
        texts = _checked_lines(_stdin_text(max_file_bytes), "standard input", what, max_chars)
    else:
        texts = [check_text(t, f"input {i}", what, max_chars) for i, t in enumerate(arguments, start=1)]
        if file is not None:
            path = Path(file)
            body = read_text_file(path, "the file", max_file_bytes)
            texts += _checked_lines(body, str(path), what, max_chars)
    if len(texts) > MAX_INPUTS:
        raise CourseError(f"{len(texts):,} inputs at once; give at most {MAX_INPUTS:,}")
    return texts


def _interactive() -> bool:
    try:
        return sys.stdin is None or sys.stdin.isatty()
    except (AttributeError, ValueError):
        return True


def _stdin_text(max_bytes: int) -> str:
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # replaced by a text stream (a test, a notebook)
        text = sys.stdin.read(max_bytes + 1)
        raw = text.encode("utf-8", errors="surrogatepass")
    else:
        raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise CourseError(f"standard input is over {_megabytes(max_bytes)}, too big for this")
    return _decode(raw, "standard input")


def shown(text: str, limit: int = 80) -> str:
    """``text`` as it is when it is short and printable, else ``shorten``'s repr(): a file's contents put in a
    message (a run folder's lesson.txt, say) never sends control characters (colours, a cleared screen,
    a moved cursor) to the learner's terminal."""
    text = str(text)
    return text if text.isprintable() and len(text) <= limit else shorten(text, limit)
