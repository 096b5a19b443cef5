"""One source per exercise, from which the stub and the reference solution are generated.

``exercises/source/<name>.py`` is the reference solution, runnable as it is, with every part the
learner writes marked (as nbgrader and otter-grader mark theirs)::

    def vectorize(text, vocabulary, length):
        \"\"\"...\"\"\"
        # TODO: what to write, in a line or two (the stub keeps these comments)
        # BEGIN SOLUTION
        ...the reference code...
        # END SOLUTION

The stub replaces each marked region with ``raise NotImplementedError("TODO: write vectorize")``;
the reference solution drops the markers and the TODO comments above them.
"""

from __future__ import annotations

import re

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
TODO = "# TODO:"
DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")


class SourceError(ValueError):
    """A source whose markers do not pair up (the course's mistake, caught by the tests)."""


def stub_text(source: str) -> str:
    """What the learner starts from: each marked region becomes ``raise NotImplementedError``."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    for kind, start, end in regions(lines):
        if kind == "code":
            out += lines[start:end]
        else:
            marker = lines[start]
            indent = marker[: len(marker) - len(marker.lstrip())]
            name = enclosing_function(lines, start) or "this part"
            out.append(f'{indent}raise NotImplementedError("TODO: write {name}")\n')
    return "".join(out)


def solution_text(source: str) -> str:
    """The reference solution as a learner reads it: no markers, no TODO comments."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    for kind, start, end in regions(lines):
        if kind == "code":
            out += lines[start:end]
        else:
            drop_todo_comment(out)
            out += lines[start + 1 : end - 1]
    return retitled("".join(out))


def regions(lines: list[str]) -> list[tuple[str, int, int]]:
    """("code", start, end) and ("solution", start, end) slices; a solution slice includes its two markers."""
    found, start, opened = [], 0, None
    for number, line in enumerate(lines):
        text = line.strip()
        if text == BEGIN:
            if opened is not None:
                raise SourceError(f"line {number + 1}: {BEGIN} inside the region opened on line {opened + 1}")
            found.append(("code", start, number))
            opened = number
        elif text == END:
            if opened is None:
                raise SourceError(f"line {number + 1}: {END} without {BEGIN}")
            found.append(("solution", opened, number + 1))
            start, opened = number + 1, None
    if opened is not None:
        raise SourceError(f"line {opened + 1}: {BEGIN} is never closed")
    found.append(("code", start, len(lines)))
    if not any(kind == "solution" for kind, _, _ in found):
        raise SourceError(f"no {BEGIN} ... {END} region")
    return found


def enclosing_function(lines: list[str], number: int) -> str | None:
    marker_indent = len(lines[number]) - len(lines[number].lstrip())
    for line in reversed(lines[:number]):
        match = DEF.match(line)
        if match and len(match.group(1)) < marker_indent:
            return match.group(2)
    return None


def drop_todo_comment(out: list[str]) -> None:
    """Remove the ``# TODO:`` comment (and its continuation lines) that ends ``out``."""
    end = len(out)
    while end and out[end - 1].lstrip().startswith("#"):
        end -= 1
        if out[end].lstrip().startswith(TODO):
            del out[end:]
            return


def retitled(text: str) -> str:
    """The docstring's first words say what the file is: "Reference solution to exercise ex03b ..."."""
    return re.sub(r'^"""(Exercise|Quiz) ', lambda m: f'"""Reference solution to {m.group(1).lower()} ', text)
