"""The exercise checker: ``python -m exercises check|hint|watch|reset|list [EX] ...``.

    check [EX ...]   check all exercises (a progress list) or the selected ones (full verdicts)
    hint EX          the first hint; the next call gives a second, more specific one
    watch [EX]       re-check an exercise every time its file is saved (Ctrl-C stops)
    reset EX         restore the original stub, after asking, keeping a backup of your file
    solution EX      the reference solution, to compare with yours (after you pass; asks before)
    list             the exercises and their files (creates the missing ones: make exercises)

EX is an exercise id (ex03a), a lesson (ex03: all of its exercises), any unique prefix of a file
name, a word from it (lstm), or a path (exercises/ex03a_masking.py).
Your files are created from each exercise's source (exercises/source/) the first time a command
needs them, and never overwritten. ``--dir DIR`` uses the files in DIR instead of exercises/ (the
tests use temporary folders, so your own files are never touched).
"""

from __future__ import annotations

import course_utils  # noqa: F401  (quiet TensorFlow logs; must come before keras)

import argparse
import json
import os
import shutil
import signal
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

from course_utils import CourseError
from course_utils.atomic import write_atomic
from exercises import LESSONS, PACKAGE_DIR, SOURCE_DIR, Exercise, all_exercises, progress
from exercises.runner import NOT_DONE, PASSED, Outcome, display, run_check

PROG = "python -m exercises"


# ---------------------------------------------------------------- selecting exercises
def select(words: list[str], exercises: list[Exercise] | None = None) -> list[Exercise]:
    """The exercises named by ``words`` (all when empty); a ``CourseError`` when one matches nothing."""
    exercises = all_exercises() if exercises is None else exercises
    if not words:
        return exercises
    chosen: list[Exercise] = []
    for word in words:
        for exercise in match(word, exercises):
            if exercise not in chosen:
                chosen.append(exercise)
    return chosen


def match(word: str, exercises: list[Exercise]) -> list[Exercise]:
    key = Path(word).stem.lower() if word.endswith(".py") else word.lower().strip()
    exact = [e for e in exercises if e.name == key or e.id == key]
    if exact:
        return exact
    by_prefix = [e for e in exercises if e.name.startswith(key)]
    if not by_prefix and key.isdigit():  # "3" or "03": a lesson number
        by_prefix = [e for e in exercises if e.lesson == int(key)]
    found = by_prefix or [e for e in exercises if key in e.name]
    if not found:
        names = ", ".join(e.id for e in exercises)
        raise CourseError(f"no exercise matches {word!r}; there are: {names}")
    return found


def targets(words: list[str], folder: Path) -> dict[Exercise, Path]:
    """Each selected exercise and the file to check: the one in ``folder``, or a file named by its path."""
    if not words:
        return {e: e.file_in(folder) for e in all_exercises()}
    chosen: dict[Exercise, Path] = {}
    for word in words:
        path = Path(word)
        if path.suffix == ".py" and path.is_file():
            exercise = match(path.name, all_exercises())[0]
            chosen[exercise] = path
        else:
            for exercise in match(word, all_exercises()):
                chosen.setdefault(exercise, exercise.file_in(folder))
    return chosen


def provide(files: dict[Exercise, Path]) -> None:
    """Create each missing exercise file from its source: the learner's files appear on first use."""
    created = []
    for exercise, path in files.items():
        if not path.exists() and path.parent.resolve() != SOURCE_DIR:
            write_atomic(path, exercise.stub_text())
            created.append(path)
    if len(created) > 3:
        print(f"Created {len(created)} exercise files in {display(created[0].parent)}/ (yours: git ignores them).")
    for path in created if len(created) <= 3 else []:
        print(f"Created {display(path)} from the exercise's source (yours: git ignores it).")


def one(words: list[str], what: str) -> Exercise:
    if not words:
        raise CourseError(f"say which exercise, e.g. make {what} EX=ex01a")
    chosen = select(words)
    if len(chosen) > 1:
        names = ", ".join(e.name for e in chosen)
        raise CourseError(
            f"{' '.join(words)!r} matches {len(chosen)} exercises ({names}); "
            f"{what} one at a time, e.g. make {what} EX={chosen[0].id}"
        )
    return chosen[0]


# ---------------------------------------------------------------- state (hint counters, progress)
def state_file(folder: Path, name: str) -> Path:
    return Path(folder) / ".state" / name


def read_state(folder: Path, name: str) -> dict:
    """A state file's contents; a missing, unreadable or damaged one counts as empty (it only
    remembers hints shown, and the next write replaces it). Progress is exercises/progress.py's: signed."""
    path = state_file(folder, name)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return values if isinstance(values, dict) else {}


def hints_shown(counts: dict, exercise: Exercise) -> int:
    shown = counts.get(exercise.name)
    return shown if isinstance(shown, int) and shown >= 0 else 0


def write_state(folder: Path, name: str, values: dict) -> None:
    if Path(folder).resolve() == SOURCE_DIR:
        return  # the sources stay exactly as they are in git
    path = state_file(folder, name)
    try:
        write_atomic(path, json.dumps(values, indent=1, sort_keys=True) + "\n")
    except OSError:
        pass  # a read-only checkout still checks; it just forgets


def remember(folder: Path, outcomes: list[Outcome]) -> None:
    """Record the outcomes in the folder's progress (only this process writes it: the learner's code runs in a
    process of its own, and what it may have written there is not believed: exercises/progress.py)."""
    if Path(folder).resolve() == SOURCE_DIR:
        return  # the sources stay exactly as they are in git
    # only the files in `folder` count as that folder's progress (not a file checked by its path)
    updates = {o.exercise.name: o.status for o in outcomes if o.path == o.exercise.file_in(folder).resolve()}
    try:
        progress.record(folder, updates)
    except OSError as err:  # a read-only checkout still checks; it just forgets
        print(f"(your progress was not recorded: {err})", file=sys.stderr)


def passed(folder: Path) -> dict:
    """``{exercise name: status}`` as the checker recorded it for ``folder``."""
    return progress.read(folder)


# ---------------------------------------------------------------- check
def cmd_check(args) -> int:
    folder = Path(args.dir)
    chosen = targets(args.exercises, folder)
    provide(chosen)
    if len(chosen) == 1:
        [(exercise, path)] = chosen.items()
        outcome = run_check(exercise, path)
        remember(folder, [outcome])
        if outcome.output:
            print(printed(outcome))
        print(verdict(outcome))
        if outcome.passed:
            print(compare_step(exercise))
            print(next_step(folder, after=exercise))
        return 0 if outcome.passed else 1
    outcomes = []
    lesson = None
    for exercise, path in chosen.items():
        if exercise.lesson != lesson:
            lesson = exercise.lesson
            print(f"Lesson {lesson:02d}: {LESSONS.get(lesson, '')}")
        outcome = run_check(exercise, path)
        outcomes.append(outcome)
        print(f"  {mark(outcome):<13} {exercise.name:<28} {exercise.title}", flush=True)
    remember(folder, outcomes)
    done = sum(o.passed for o in outcomes)
    for outcome in outcomes:
        if outcome.status not in (PASSED, NOT_DONE):
            print("\n" + verdict(outcome))
    print(f"\n{done} of {len(outcomes)} done.", end=" ")
    pending = [o for o in outcomes if not o.passed]
    if pending:
        first = pending[0].exercise
        print(
            f"Next: open {display(pending[0].path)}, then  make check EX={first.id}  (stuck? make hint EX={first.id})"
        )
    else:
        print("All done, well done!")
    return 0 if done == len(outcomes) else 1


OUTPUT_LINES = 20


def printed(outcome: Outcome) -> str:
    """What the learner's code printed while it was checked, each line marked as its own: never a verdict."""
    lines = outcome.output.splitlines()
    shown = [f"  | {line}" for line in lines[:OUTPUT_LINES]]
    if len(lines) > OUTPUT_LINES:
        shown.append(f"  | ... ({len(lines) - OUTPUT_LINES} more lines)")
    return "Your code printed this while it was checked (the verdict follows):\n" + "\n".join(shown)


def mark(outcome: Outcome) -> str:
    return {PASSED: "done", NOT_DONE: "not done yet"}.get(outcome.status, outcome.status.upper())


def verdict(outcome: Outcome) -> str:
    exercise = outcome.exercise
    head = f"{exercise.name} ({display(outcome.path)}): "
    if outcome.passed:
        return head + f"PASSED in {outcome.seconds:.1f} s. {outcome.message}"
    if outcome.status == NOT_DONE:
        return (
            head + f"not done yet: {outcome.message}\n"
            f"  The task is in the docstring; replace the TODO with your code and run the check again.\n"
            f"  Stuck? make hint EX={exercise.id}"
        )
    body = "\n".join("  " + line for line in outcome.message.splitlines())
    return head + f"{outcome.status.upper()}\n{body}\n  Stuck? make hint EX={exercise.id}"


def compare_step(exercise: Exercise) -> str:
    return f"Compare with the reference solution:  make solution EX={exercise.id}"


def next_step(folder: Path, after: Exercise) -> str:
    done = passed(folder)
    exercises = all_exercises()
    later = exercises[exercises.index(after) + 1 :] + exercises[: exercises.index(after)]
    for exercise in later:
        if done.get(exercise.name) != PASSED:
            return f"Next: {display(exercise.file_in(folder))}  (make check EX={exercise.id})"
    return "Every exercise has passed. Well done!"


# ---------------------------------------------------------------- hint
def cmd_hint(args) -> int:
    folder = Path(args.dir)
    if args.exercises:
        candidates = select(args.exercises)
    else:
        candidates = all_exercises()
    done = passed(folder)
    exercise = next((e for e in candidates if done.get(e.name) != PASSED), candidates[0])
    counts = read_state(folder, "hints.json")
    shown = hints_shown(counts, exercise)
    hints = exercise.hints
    number = min(shown, len(hints) - 1)
    print(f"{exercise.name}, hint {number + 1} of {len(hints)}:")
    print(format_hint(hints[number]))
    if number + 1 < len(hints):
        print(f"(make hint EX={exercise.id} again for a more specific hint)")
    else:
        print(f"Still stuck after trying? make solution EX={exercise.id} shows the reference solution.")
    counts[exercise.name] = shown + 1
    write_state(folder, "hints.json", counts)
    return 0


def format_hint(text: str) -> str:
    """Prose is wrapped to the terminal; indented lines (code) are kept as they are."""
    lines = []
    for line in text.strip("\n").splitlines():
        if line.startswith(" "):
            lines.append("  " + line)
        else:
            lines.append(textwrap.fill(line, width=100, initial_indent="  ", subsequent_indent="  "))
    return "\n".join(lines)


# ---------------------------------------------------------------- watch
def cmd_watch(args) -> int:
    folder = Path(args.dir)
    files = targets(args.exercises, folder)
    provide(files)
    chosen = list(files)
    seen = {e: stamp(path) for e, path in files.items()}
    what = chosen[0].name if len(chosen) == 1 else f"{len(chosen)} exercises"
    print(f"Watching {what}; save the file to re-check it. Ctrl-C stops.\n", flush=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C stops us even if a parent shell ignored it
    try:
        if len(chosen) == 1:
            outcome = run_check(chosen[0], files[chosen[0]])
            remember(folder, [outcome])
            if outcome.output:
                print(printed(outcome), flush=True)
            print(verdict(outcome), flush=True)
        else:
            outcomes = [run_check(exercise, path) for exercise, path in files.items()]
            remember(folder, outcomes)
            for outcome in outcomes:
                print(f"  {mark(outcome):<13} {outcome.exercise.name:<28} {outcome.exercise.title}", flush=True)
        while True:
            time.sleep(args.interval)
            for exercise, path in files.items():
                now = stamp(path)
                if now != seen[exercise]:
                    seen[exercise] = now
                    print(f"\n--- {datetime.now():%H:%M:%S} {display(path)} changed ---", flush=True)
                    outcome = run_check(exercise, path)
                    remember(folder, [outcome])
                    if outcome.output:
                        print(printed(outcome), flush=True)
                    print(verdict(outcome), flush=True)
                    if outcome.passed:
                        print(compare_step(exercise), flush=True)
                        print(next_step(folder, after=exercise), flush=True)
    except KeyboardInterrupt:
        print("\nStopped watching.", flush=True)
    return 0


def stamp(path: Path):
    try:
        info = path.stat()
        return info.st_mtime_ns, info.st_size
    except OSError:
        return None


# ---------------------------------------------------------------- reset
def cmd_reset(args) -> int:
    exercise = one(args.exercises, "reset")
    folder = Path(args.dir)
    target = exercise.file_in(folder)
    stub = exercise.stub_text()
    not_a_file(target, f"make reset EX={exercise.id}")
    if target.is_file() and read_text(target) == stub:
        print(f"{display(target)} is already the original stub; nothing to do.")
        return 0
    if target.is_file():
        if not confirmed(
            f"Replace {display(target)} with the original stub? Your version is kept as a backup. [y/N] ",
            args.yes,
            f'make reset EX="{exercise.id} --yes"',
        ):
            return 2 if not sys.stdin.isatty() and not args.yes else 1
        backup = backup_path(folder, exercise)
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(target, backup)
        print(f"Your version is saved as {display(backup)}")
    write_atomic(target, stub)
    print(f"{display(target)} is the original stub again.")
    return 0


def not_a_file(path: Path, again: str) -> None:
    """A one-line error when ``path`` exists but is a folder (or anything but a file): nothing is touched."""
    if (path.exists() or path.is_symlink()) and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file"
        raise CourseError(
            f"{display(path)} is {kind}, not an exercise file, so it is left as it is: move it out of the way "
            f"(e.g. mv {display(path)} {display(path)}.old), then run {again} again"
        )


def read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------- solution
def cmd_solution(args) -> int:
    """Write the reference solution beside the learner's file and show how theirs differs (rustlings'
    solutions/ folder): offered after a pass; before one, only after asking."""
    exercise = one(args.exercises, "solution")
    folder = Path(args.dir)
    mine = exercise.file_in(folder)
    if passed(folder).get(exercise.name) != PASSED and not confirmed(
        f"{exercise.id} has not passed yet: see the reference solution anyway? [y/N] ",
        args.yes,
        f'make solution EX="{exercise.id} --yes"',
    ):
        return 2 if not sys.stdin.isatty() and not args.yes else 1
    reference = exercise.solution_text()
    target = folder / "solutions" / f"{exercise.name}.py"
    not_a_file(target, f"make solution EX={exercise.id}")
    if not target.exists() or target.read_bytes() == reference.encode("utf-8"):
        write_atomic(target, reference)
        print(f"The reference solution is in {display(target)}")
    else:  # the learner edited an earlier copy (in any encoding): theirs stays, the reference is shown below
        print(f"{display(target)} was edited, so it is left as it is; the reference solution follows.\n")
        print(reference)
        return 0
    print("The part you wrote, as the reference writes it:\n")
    print("\n\n".join(exercise.solution_functions()))
    if mine.is_file():
        print(f"\nSide by side with yours:  diff -u {display(mine)} {display(target)}")
    return 0


def confirmed(question: str, yes: bool, without_asking: str) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        command = without_asking.split(" EX=")[0].removeprefix("make ")
        print(f"{command} needs a confirmation: run it in a terminal, or add --yes ({without_asking})", file=sys.stderr)
        return False
    try:
        answer = input(question)
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("Nothing changed.")
    return False


def backup_path(folder: Path, exercise: Exercise) -> Path:
    stamp_text = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(folder) / ".backup" / f"{exercise.name}.{stamp_text}.py"
    n = 1
    while path.exists():
        n += 1
        path = path.with_name(f"{exercise.name}.{stamp_text}-{n}.py")
    return path


# ---------------------------------------------------------------- list
def cmd_list(args) -> int:
    folder = Path(args.dir)
    provide(targets(args.exercises, folder))
    done, trusted = progress.load(folder)
    if not trusted:
        print(
            f"(the progress file in {display(progress.state_dir(folder))}/ was not written by this checker, so it "
            "is not believed: make check records your progress again)"
        )
    for exercise in select(args.exercises):
        status = {PASSED: "done"}.get(done.get(exercise.name), "")
        print(f"  {status:<5} {display(exercise.file_in(folder)):<40} {exercise.title}")
    return 0


# ---------------------------------------------------------------- command line
COMMANDS = {
    "check": cmd_check,
    "hint": cmd_hint,
    "watch": cmd_watch,
    "reset": cmd_reset,
    "solution": cmd_solution,
    "list": cmd_list,
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Check, hint, watch and reset the course's exercises.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    p.add_argument("command", choices=list(COMMANDS))
    p.add_argument("exercises", nargs="*", metavar="EX", help="ex03a, ex03 (a lesson), a prefix, a word or a path")
    p.add_argument(
        "--dir",
        "--against",
        dest="dir",
        default=str(PACKAGE_DIR),
        metavar="DIR",
        help="the folder of exercise files to use (default: exercises/)",
    )
    p.add_argument(
        "--yes", action="store_true", help="reset or show a solution without asking (your file is still backed up)"
    )
    p.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_intermixed_args(argv)
    if args.yes and args.command not in ("reset", "solution"):
        args.yes = False
    args.exercises = [w for w in args.exercises if w.strip()]
    try:
        if not Path(args.dir).is_dir():
            raise CourseError(f"{args.dir} is not a folder")
        return COMMANDS[args.command](args)
    except CourseError as err:
        print(f"{PROG} {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (make exercises | head -3): nothing more to say to it
        quiet_stdout()
        return 0 if args.command in ("list", "hint") else 1
    except OSError as err:  # a file or folder the command needs is not what it should be: one line, not a traceback
        where = f": {display(Path(err.filename))}" if err.filename else ""
        print(f"{PROG} {args.command}: error: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
        return 130


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not fail on the closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
