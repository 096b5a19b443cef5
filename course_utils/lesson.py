"""What makes a lesson file run the same way as a script and as a notebook: once, top to bottom.

A lesson is one jupytext percent-format file. Its configuration cell declares a dataclass
and calls ``configure``::

    @dataclass
    class Config(LessonConfig):
        epochs: int = flag(3, "training epochs", type=cli.positive_int)
        QUICK = {"epochs": 2}            # what COURSE_QUICK=1 or --quick changes

    config = configure(Config, LESSON)

In a notebook the defaults apply (edit the cell to experiment; an edited value wins over the quick
configuration that ``COURSE_QUICK=1`` selects). Run as a script (``python -m lessons.lessonNN_topic
[flags]``) the fields become flags with the same names, and the rest of the file runs once, as a
kernel runs the cells. Either way a ``CourseError`` is shown as one line (exit status 2 in a script)
and Ctrl-C says how to resume (130).

``python -m lessons.lessonNN_topic predict ...`` (and ``compare``) stop in ``configure``: their code
is in ``course_utils.commands``, which uses the lesson's definitions as ``make export`` saved them
(``lessons/saved/``), so a command never trains.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
import types
from collections.abc import Sequence
from pathlib import Path

from course_utils import REPO_ROOT, CourseError, cli, distributed, in_kernel

LESSONS_DIR = REPO_ROOT / "lessons"


def flag(default, help: str, *, type=None, choices=None, metavar=None):
    """A configuration field that is also a command-line flag (``--field-name``)."""
    metadata = {"help": help, "type": type, "choices": choices, "metavar": metavar}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass
class LessonConfig:
    """The fields every lesson has; a lesson's ``Config`` adds its own."""

    seed: int = flag(1337, "random seed", type=cli.seed)
    quick: bool = flag(False, "a seeded run on a small real slice of the data (seconds)")
    run_dir: str | None = flag(
        None, "run folder to use; give an interrupted run's folder to resume it (default: a new folder under runs/)"
    )

    QUICK = {}  # field -> value for the quick configuration, unless given explicitly
    # The Keras backends the lesson runs on, and why when not all three (the lesson stops at once on another)
    BACKENDS = ("tensorflow", "jax", "torch")
    BACKEND_REASON = ""
    # Fields that say how the lesson runs, not what it teaches: left out of the table a lesson shows
    MACHINERY = ("workers", "source")

    def table(self) -> str:
        """The lesson's own settings as a Markdown table (the shared ones, seed to workers, left out)."""
        shared = {f.name for f in dataclasses.fields(LessonConfig)} | set(self.MACHINERY)
        rows = [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if f.name not in shared]
        quick = " (quick)" if self.quick else ""
        return "\n".join(
            [f"| setting{quick} | value |", "|---|---|", *(f"| {name} | {value!r} |" for name, value in rows)]
        )


@dataclasses.dataclass
class WorkersOption:
    """``--workers N``: one model trained data-parallel (README, "More than one process")."""

    workers: int = flag(
        1,
        "train one model data-parallel: N worker processes on tensorflow, N devices of one process on jax",
        type=cli.int_between(1, 8, "one machine's worth of local workers"),
    )


@dataclasses.dataclass
class SourceOption:
    """``--source tfds``: the same data read through tensorflow-datasets (README, "Through tensorflow-datasets")."""

    source: str = flag(
        "course", "read the data with the course's loader or with tensorflow-datasets", choices=("course", "tfds")
    )


def quick_requested() -> bool:
    return os.environ.get("COURSE_QUICK", "").strip().lower() not in ("", "0", "false", "no")


def with_quick(config, explicit: Sequence[str] = ()):
    """``config`` with its class's QUICK values, except for fields set explicitly."""
    changes = {k: v for k, v in type(config).QUICK.items() if k not in explicit}
    return dataclasses.replace(config, quick=True, **changes)


def validate(config) -> None:
    """Check every field against its flag's rules, so a notebook edit gets the same one-line errors."""
    check_backend(type(config))
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        choices, convert = field.metadata.get("choices"), field.metadata.get("type")
        name = "--" + field.name.replace("_", "-")
        if value is None:
            continue
        if choices and value not in choices:
            raise CourseError(f"{name}: invalid choice {value!r} (choose from {', '.join(map(str, choices))})")
        if convert is not None:
            try:
                convert(str(value))
            except argparse.ArgumentTypeError as err:
                raise CourseError(f"{name}: {err}") from None


def check_backend(config_class) -> None:
    """One line, before anything runs, when the lesson cannot run on the Keras backend in use."""
    import keras

    backend = keras.backend.backend()
    supported = getattr(config_class, "BACKENDS", LessonConfig.BACKENDS)
    if backend not in supported:
        reason = getattr(config_class, "BACKEND_REASON", "")
        raise CourseError(
            f"this lesson runs on the {' or '.join(supported)} backend, not {backend}"
            + (f": {reason}" if reason else "")
            + "; run it with BACKEND=tensorflow (or KERAS_BACKEND=tensorflow)"
        )


def config_parser(config_class, prog: str, description: str) -> cli.OneLineParser:
    """The lesson's flags, one per field; unset flags stay out of the namespace."""
    parser = cli.OneLineParser(
        prog=prog,
        description=description,
        argument_default=argparse.SUPPRESS,
    )
    for field in dataclasses.fields(config_class):
        meta = field.metadata
        name = "--" + field.name.replace("_", "-")
        help_text = meta.get("help", "")
        if field.default is False:
            parser.add_argument(name, action="store_true", help=help_text)
            continue
        if field.default is not None and field.name not in ("run_dir",):
            help_text += f" (default {field.default})"
        parser.add_argument(
            name, type=meta.get("type"), choices=meta.get("choices"), metavar=meta.get("metavar"), help=help_text
        )
    return parser


def parse_config(config_class, prog: str, argv: Sequence[str], description: str = ""):
    parser = config_parser(config_class, prog, description)
    explicit = vars(parser.parse_args(list(argv)))
    config = config_class(**explicit)
    if config.quick or quick_requested():
        config = with_quick(config, explicit)
    validate(config)
    return config


# --- running a lesson -----------------------------------------------------------------------


def configure(config_class, lesson: str):
    """The configuration of this execution of the lesson (see the module docstring).

    As a script, a sub-command (``predict``, ``compare``) or ``--workers`` on TensorFlow runs here and
    the process ends; otherwise the lesson goes on with the configuration returned.
    """
    if in_kernel():
        _one_line_errors_in_the_notebook()
        return notebook_config(config_class, lesson)
    if not running_as_script(lesson):
        raise CourseError(
            f"lessons.{lesson} is a lesson to run (python -m lessons.{lesson}, or as a notebook), not a module "
            f"to import; its definitions are in lessons.saved.{lesson}"
        )
    prog = f"python -m lessons.{lesson}"
    sys.excepthook = one_line_exit_hook(prog)
    config = script_config(config_class, lesson, sys.argv[1:], prog)
    start_workers(lesson, config, sys.argv[1:])
    return config


def running_as_script(lesson: str) -> bool:
    """Whether the program being run is this lesson (``python -m lessons.<lesson>`` or its file)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None:
        return spec.name == f"lessons.{lesson}"
    return Path(getattr(main, "__file__", "") or "").stem == lesson


def notebook_config(config_class, lesson: str):
    """The Config cell's values; with COURSE_QUICK=1 the quick ones, except where the cell was edited."""
    config = config_class()
    if quick_requested():
        config = with_quick(config, explicit=edited_fields(config, lesson))
    validate(config)
    return config


def edited_fields(config, lesson: str) -> list[str]:
    """The fields whose value differs from the lesson file's own Config (a learner's edit of the cell)."""
    try:
        pristine = definitions(lesson).Config()
    except Exception:  # a lesson of the learner's own, or a saved module that cannot be imported: no edits known
        return []
    return [f.name for f in dataclasses.fields(config) if getattr(pristine, f.name, None) != getattr(config, f.name)]


def script_config(config_class, lesson: str, argv: list[str], prog: str):
    """The configuration from the command line; a sub-command runs instead (and the process ends)."""
    from course_utils import commands

    description = (getattr(sys.modules.get("__main__"), "__doc__", None) or lesson).strip().splitlines()[0]
    if argv and commands.is_command(lesson, argv[0]):
        sys.exit(commands.run(lesson, argv, prog, config_class))
    return parse_config(config_class, prog, argv, description)


def start_workers(lesson: str, config, argv: list[str]) -> None:
    """``--workers N``: on TensorFlow start N worker processes and end with their status; on JAX spread this
    process over N devices (or start one child that has them)."""
    if getattr(config, "workers", 1) > 1 and distributed.worker_index() is None:
        if keras_backend() != "jax":
            sys.exit(launch_workers(lesson, argv, config))  # tensorflow (torch stops there with one line)
        status = distributed.data_parallel(f"lessons.{lesson}", argv, config.workers, config.batch_size)
        if status is not None:  # a child process with more CPU devices ran the lesson
            sys.exit(status)
    if distributed.worker_index() is not None:
        distributed.strategy()  # before TensorFlow runs its first op


def exit_status(err: BaseException, prog: str) -> int:
    """Print a learner's mistake or an interruption as one line on stderr; the exit status it gives."""
    if isinstance(err, CourseError):
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    if isinstance(err, KeyboardInterrupt):
        print(
            f"\n{prog}: interrupted. Run again with --run-dir <the run folder printed above> to resume.",
            file=sys.stderr,
        )
        return 130
    raise err


def one_line_exit_hook(prog: str):
    """``sys.excepthook`` for a lesson run as a script: one line and status 2 for a ``CourseError``, the resume
    hint and 130 for Ctrl-C, Python's own traceback for anything else (a bug)."""
    default = sys.__excepthook__

    def hook(kind, err, traceback):
        if isinstance(err, (CourseError, KeyboardInterrupt)):
            sys.stdout.flush()
            sys.exit(exit_status(err, prog))
        default(kind, err, traceback)

    return hook


def _one_line_errors_in_the_notebook() -> None:
    """In a kernel, a ``CourseError`` from any cell shows as one line (the cell still stops the run)."""
    from IPython import get_ipython

    def one_line(shell, kind, err, traceback, tb_offset=None):
        line = f"error: {err}"
        print(line, file=sys.stderr)
        return [line]

    get_ipython().set_custom_exc((CourseError,), one_line)


def definitions(lesson: str) -> types.ModuleType:
    """The lesson's functions, classes and constants as ``make export`` saved them (``lessons/saved/``).

    This is how commands, exercises, tests and later lessons use what a lesson defines: the lesson file
    stays the one place each of them is written, and importing it never runs a cell.
    """
    if not (LESSONS_DIR / f"{lesson}.py").is_file():
        raise CourseError(f"no lesson called {lesson}")
    return importlib.import_module(f"lessons.saved.{lesson}")


def launch_workers(lesson: str, argv: list[str], config) -> int:
    """``--workers N`` on TensorFlow: the same command as N worker processes (course_utils.distributed); worker
    0 writes the run folder, the others a scratch folder each. (On JAX, ``configure`` trains in one process over
    N devices instead: ``distributed.data_parallel``.)"""
    from course_utils.runs import new_run_path

    distributed.require_tensorflow()
    run_dir = Path(config.run_dir).expanduser() if config.run_dir else new_run_path(lesson, f"workers{config.workers}")
    if run_dir.exists() and any(run_dir.iterdir()):
        raise CourseError(
            f"{run_dir} is not empty: a --workers run starts in a new folder (resuming one is not supported); "
            "leave out --run-dir"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "lesson.txt").write_text(lesson + "\n", encoding="utf-8")  # worker 0's run folder, for the logs now
    plain = cli.without_flag(argv, "--run-dir")
    argvs = [[*plain, "--run-dir", str(run_dir)]]
    argvs += [[*plain, "--run-dir", distributed.scratch_run_dir()] for _ in range(1, config.workers)]
    return distributed.launch(f"lessons.{lesson}", argvs, run_dir)


def keras_backend() -> str:
    import keras

    return keras.backend.backend()


def show(value) -> None:
    """Display ``value`` under the cell in a notebook (a table renders as Markdown); print it in a script."""
    if isinstance(value, LessonConfig):
        value = value.table()
    if in_kernel():
        from IPython.display import Markdown, display

        display(Markdown(value) if isinstance(value, str) and value.lstrip().startswith("|") else value)
    else:
        print(value)


def show_figure(fig, run, name: str) -> Path:
    """Save ``fig`` as a PNG in the run folder, and draw it under the cell in a notebook."""
    if in_kernel():
        from IPython.display import display

        display(fig)
    return run.save_figure(fig, name)
