"""Guided exercises: fill in the gap, run the check, read a hint when stuck, move on.

Layout (everything the commands use lives here):

    exercises/exNNx_topic.py         your files: open one, replace the TODO, save. Created from the
                                     source on first use (make exercises, make check); git ignores
                                     them, so `git pull` never touches your work
    exercises/source/exNNx_topic.py  the one source of each exercise: the reference solution with the
                                     parts you write marked; your stub is generated from it
    exercises/checks/exNNx_topic.py  what each check tests, and the two hints
    exercises/solutions/             reference solutions, written by `make solution EX=...` (git-ignored)
    exercises/.state/, .backup/      hint counters, progress and reset backups (git-ignored)

An exercise id is ``ex`` + the lesson number + a letter, e.g. ``ex03a``: ``make check EX=ex03``
checks all of lesson 3's exercises, ``make check EX=ex03a`` just one (any unique prefix of the
file name works, and so does a word from it, e.g. ``EX=lstm``). A quiz (``quiz1``, ``quiz2``)
combines several lessons and comes after the last of them.
"""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from exercises.generate import solution_text, stub_text

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_DIR = PACKAGE_DIR / "source"
SOLUTIONS_DIR = PACKAGE_DIR / "solutions"
NAME_PATTERN = re.compile(r"^(?:ex(?P<lesson>\d\d)[a-z]|quiz(?P<quiz>\d))_[a-z0-9_]+$")
QUIZ_AFTER_LESSON = {1: 3, 2: 7}  # quiz number -> the lesson it comes after (it combines that lesson with earlier ones)

LESSONS = {  # lesson number -> what its exercises are about (the headings of `make check`)
    1: "an RNN from scratch",
    2: "gates: LSTM, GRU and gradient clipping",
    3: "many-to-one: IMDB sentiment with masking",
    4: "many-to-many: tagging and entity spans",
    5: "sequence to sequence: teacher forcing, greedy and beam search",
    6: "one-to-many: captions and BLEU",
    7: "a character language model and sampling",
    8: "forecasting: windows, honest scaling and quantiles",
    9: "linear recurrences: the minGRU and its parallel scan",
}


@dataclass(frozen=True)
class Exercise:
    name: str  # e.g. "ex01a_rnn_step"
    lesson: int

    @property
    def id(self) -> str:  # e.g. "ex01a"
        return self.name.split("_", 1)[0]

    @property
    def is_quiz(self) -> bool:
        return self.name.startswith("quiz")

    @property
    def source(self) -> Path:
        """The one source: the reference solution with the learner's parts marked (runnable as it is)."""
        return SOURCE_DIR / f"{self.name}.py"

    def stub_text(self) -> str:
        return stub_text(self.source.read_text(encoding="utf-8"))

    def solution_text(self) -> str:
        return solution_text(self.source.read_text(encoding="utf-8"))

    def solution_functions(self) -> list[str]:
        """The reference's code of each function the learner writes (those with a marked region)."""
        todo = re.compile(r'raise NotImplementedError\("TODO: write (\w+)"\)')
        names = todo.findall(self.stub_text())
        solution = self.solution_text()
        found = {
            node.name: ast.get_source_segment(solution, node)
            for node in ast.walk(ast.parse(solution))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        return [found[name] for name in dict.fromkeys(names) if name in found]

    @property
    def solution(self) -> Path:
        """Where ``make solution`` writes the reference solution for the learner to compare."""
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
    """Every exercise in the order to do them (a lesson's exercises, then the quiz that follows it)."""
    found = []
    for path in SOURCE_DIR.glob("*.py"):
        match = NAME_PATTERN.match(path.stem)
        if match and match["lesson"]:
            found.append(Exercise(path.stem, int(match["lesson"])))
        elif match:
            found.append(Exercise(path.stem, QUIZ_AFTER_LESSON[int(match["quiz"])]))
    return sorted(found, key=lambda e: (e.lesson, e.is_quiz, e.name))
