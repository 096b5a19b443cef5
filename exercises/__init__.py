"""Guided exercises: fill in the gap, run the check, read a hint when stuck, move on.

Layout (everything the commands use lives here):

    exercises/exNNx_topic.py        your files: open one, replace the TODO, save
    exercises/stubs/exNNx_topic.py  the untouched originals (``make reset`` restores from here)
    exercises/solutions/            reference solutions (look only after trying!)
    exercises/checks/exNNx_topic.py what each check tests, and the two hints
    exercises/.state/, .backup/     hint counters and reset backups (git-ignored)

An exercise id is ``ex`` + the lesson number + a letter, e.g. ``ex03a``: ``make check EX=ex03``
checks all of lesson 3's exercises, ``make check EX=ex03a`` just one (any unique prefix of the
file name works, and so does a word from it, e.g. ``EX=lstm``).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE_DIR = Path(__file__).resolve().parent
STUBS_DIR = PACKAGE_DIR / "stubs"
SOLUTIONS_DIR = PACKAGE_DIR / "solutions"
NAME_PATTERN = re.compile(r"^ex(\d\d)([a-z])_[a-z0-9_]+$")

LESSONS = {  # lesson number -> what its exercises are about (the headings of `make check`)
    1: "an RNN from scratch",
    2: "gates: LSTM, GRU and gradient clipping",
    3: "many-to-one: IMDB sentiment with masking",
    4: "many-to-many: tagging and entity spans",
    5: "sequence to sequence: teacher forcing, greedy and beam search",
    6: "one-to-many: captions and BLEU",
    7: "a character language model and sampling",
}


@dataclass(frozen=True)
class Exercise:
    name: str  # e.g. "ex01a_rnn_step"
    lesson: int

    @property
    def id(self) -> str:  # e.g. "ex01a"
        return self.name.split("_", 1)[0]

    @property
    def stub(self) -> Path:
        return STUBS_DIR / f"{self.name}.py"

    @property
    def solution(self) -> Path:
        return SOLUTIONS_DIR / f"{self.name}.py"

    def file_in(self, folder: Path) -> Path:
        return Path(folder) / f"{self.name}.py"

    @property
    def check_module(self) -> ModuleType:
        return importlib.import_module(f"exercises.checks.{self.name}")

    @property
    def title(self) -> str:
        return self.check_module.TITLE

    @property
    def hints(self) -> tuple[str, ...]:
        return tuple(self.check_module.HINTS)


def all_exercises() -> list[Exercise]:
    """Every exercise, in order, as defined by the pristine stubs."""
    found = []
    for path in sorted(STUBS_DIR.glob("ex*.py")):
        match = NAME_PATTERN.match(path.stem)
        if match:
            found.append(Exercise(path.stem, int(match.group(1))))
    return found
