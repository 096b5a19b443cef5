"""Load the learner's file and describe what it raised or where: shared by checking.py (which the checks use)
and runner.py (which runs them), so that neither needs to import the other's helpers."""

from __future__ import annotations

import importlib.util
import itertools
import re
import traceback
from pathlib import Path

MAX_MESSAGE_LINES = 8
MAX_LINE_CHARS = 300
ANSI_CODES = re.compile(r"\x1b\[[0-9;]*m")  # Keras colours parts of its messages
_counter = itertools.count()


def load_module(path: Path):
    """Execute the learner's file as a fresh module (never cached, so a saved edit is always seen)."""
    spec = importlib.util.spec_from_file_location(f"_exercise_{path.stem}_{next(_counter)}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exception_text(err: BaseException) -> str:
    """``Type: message``, cut to a few short lines (TensorFlow's messages can run to pages)."""
    message = ANSI_CODES.sub("", str(err)).strip()
    lines = [line[:MAX_LINE_CHARS] for line in message.splitlines() if line.strip()][:MAX_MESSAGE_LINES]
    if len(message.splitlines()) > MAX_MESSAGE_LINES:
        lines.append("...")
    return f"{type(err).__name__}: " + "\n".join(lines) if lines else type(err).__name__


def same_file(filename: str, path: Path) -> bool:
    try:
        return Path(filename).resolve() == path
    except OSError:
        return False


def display(path: Path) -> str:
    """A path relative to the current folder when it is inside it (shorter in messages)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def keras_error(err: BaseException, path: Path) -> tuple[list[str], str]:
    """An error Keras raised around the learner's code (building, fitting a model): the learner's last two frames
    and the first lines of Keras' own message, without its colours and its "Arguments received" tail; and that
    message, for the check to look for a known cause in."""
    text = ANSI_CODES.sub("", str(err))
    inner = re.search(r"Error encountered:\s*(.*?)(?:\n\s*\n\s*Arguments received|\Z)", text, re.S)
    text = (inner.group(1) if inner else text).strip()
    lines = []
    frames = [f for f in traceback.extract_tb(err.__traceback__) if same_file(f.filename, path)]
    for frame in frames[-2:]:
        lines.append(f'  File "{display(path)}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines += [line[:MAX_LINE_CHARS] for line in text.splitlines() if line.strip()][:4]
    return lines, text
