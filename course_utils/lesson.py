"""What makes a lesson file run the same as a script and as a notebook.

A lesson is one jupytext percent-format file. Its configuration cell declares a dataclass
and calls ``configure``::

    @dataclass
    class Config(LessonConfig):
        epochs: int = flag(3, "training epochs", type=cli.positive_int)
        QUICK = {"epochs": 2}            # what COURSE_QUICK=1 or --quick changes

    config = configure(Config, LESSON)

In a notebook the defaults apply (edit the cell to experiment); ``COURSE_QUICK=1`` in the
environment selects the quick configuration. Run as a script
(``python -m lessons.lessonNN_topic [flags]``) the fields become flags with the same names,
and the lesson runs inside ``main``, which turns a ``CourseError`` into one line and exit 2.
``predict`` and other sub-commands use only the lesson's definitions (``definitions``), so
they never train.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib.util
import os
import runpy
import sys
import types
from collections.abc import Sequence
from pathlib import Path

from course_utils import REPO_ROOT, CourseError, cli, distributed, in_kernel

LESSONS_DIR = REPO_ROOT / "lessons"
_active_config = None  # the configuration of the lesson ``run_lesson`` is executing


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


def configure(config_class, lesson: str):
    """The configuration for this execution of the lesson (see the module docstring)."""
    if _active_config is not None:
        return _active_config
    if in_kernel():
        config = config_class()
        config = with_quick(config) if quick_requested() else config
        validate(config)
        return config
    if not _running_as_main():
        raise CourseError(
            f"lessons.{lesson} is a lesson to run (python -m lessons.{lesson}, or as a notebook), not a module "
            f"to import; course_utils.lesson.definitions({lesson!r}) gives its functions and classes"
        )
    sys.exit(main(lesson))  # a script: run the lesson inside main (which executes this file again)


def _running_as_main() -> bool:
    caller = sys._getframe(2).f_globals
    return caller.get("__name__") == "__main__"


def lesson_path(lesson: str) -> Path:
    path = LESSONS_DIR / f"{lesson}.py"
    if not path.is_file():
        raise CourseError(f"no lesson called {lesson}")
    return path


def run_lesson(lesson: str, config) -> dict:
    """Execute the whole lesson file with ``config``; returns the lesson's global variables."""
    global _active_config
    previous, _active_config = _active_config, config
    try:
        return runpy.run_path(str(lesson_path(lesson)), run_name="__main__")
    finally:
        _active_config = previous


def _is_definition(node: ast.stmt) -> bool:
    """Imports, functions, classes and UPPER_CASE constants: what predict and the tests may use."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        return True
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    names = [n for t in targets for n in (t.elts if isinstance(t, ast.Tuple) else [t])]
    return bool(names) and all(isinstance(n, ast.Name) and n.id.isupper() for n in names)


def definitions(lesson: str) -> types.ModuleType:
    """The lesson's functions, classes and constants, without running any of its cells.

    This is how ``predict``, ``compare`` and the tests use what a lesson defines: the lesson
    file stays the one place each of them is written.
    """
    name = f"_lesson_definitions.{lesson}"
    if name in sys.modules:
        return sys.modules[name]
    path = lesson_path(lesson)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstring = ast.get_docstring(tree)
    tree.body = [node for node in tree.body if _is_definition(node)]
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    module.__doc__ = docstring
    sys.modules[name] = module
    try:
        exec(compile(tree, str(path), "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def predict_parser(lesson: str, defs) -> cli.OneLineParser:
    parser = cli.OneLineParser(
        prog=f"python -m lessons.{lesson} predict",
        description=f"Load a trained model and print its prediction for each input ({defs.PREDICT_INPUT}).",
    )
    parser.add_argument("--model", default=None, help="a .keras file (default: the newest run's model)")
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help=defs.PREDICT_INPUT)
    if hasattr(defs, "predict_flags"):
        defs.predict_flags(parser)
    return parser


def main(lesson: str, argv: Sequence[str] | None = None) -> int:
    """The lesson's command line: train (the default), ``predict`` or another sub-command.

    Returns the exit status: 0, 2 for a mistake the learner can fix (one line on stderr),
    130 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = f"python -m lessons.{lesson}"
    try:
        defs = definitions(lesson)
        description = (defs.__doc__ or lesson).strip().splitlines()[0]
        commands = getattr(defs, "COMMANDS", {})
        if argv and argv[0] == "predict" and hasattr(defs, "predict"):
            prog += " predict"
            defs.predict(predict_parser(lesson, defs).parse_args(argv[1:]))
        elif argv and argv[0] in commands:
            prog += f" {argv[0]}"
            config = parse_config(defs.Config, prog, argv[1:], commands[argv[0]])
            getattr(defs, argv[0])(config)
        elif argv and argv[0] == "predict":
            cli.OneLineParser(prog=prog).error("this lesson has no predict command")
        else:
            config = parse_config(defs.Config, prog, argv, description)
            if getattr(config, "workers", 1) > 1 and distributed.worker_index() is None:
                if keras_backend() != "jax":
                    return launch_workers(lesson, argv, config)  # tensorflow (torch stops there with one line)
                status = distributed.data_parallel(f"lessons.{lesson}", argv, config.workers, config.batch_size)
                if status is not None:  # a child process with more CPU devices ran the lesson
                    return status
            if distributed.worker_index() is not None:
                distributed.strategy()  # before TensorFlow runs its first op
            try:
                run_lesson(lesson, config)
            finally:
                distributed.end_data_parallel()
    except CourseError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return 2
    except SystemExit as exit:  # argparse: --help (0) or a bad flag (2, its one line already printed)
        return exit.code if isinstance(exit.code, int) else 1
    except KeyboardInterrupt:
        print(
            f"\n{prog}: interrupted. Run again with --run-dir <the run folder printed above> to resume.",
            file=sys.stderr,
        )
        return 130
    return 0


def launch_workers(lesson: str, argv: list[str], config) -> int:
    """``--workers N`` on TensorFlow: the same command as N worker processes (course_utils.distributed); worker
    0 writes the run folder, the others a scratch folder each. (On JAX, ``main`` trains in one process over N
    devices instead: ``distributed.data_parallel``.)"""
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
    plain = _without_run_dir(argv)
    argvs = [[*plain, "--run-dir", str(run_dir)]]
    argvs += [[*plain, "--run-dir", distributed.scratch_run_dir()] for _ in range(1, config.workers)]
    return distributed.launch(f"lessons.{lesson}", argvs, run_dir)


def keras_backend() -> str:
    import keras

    return keras.backend.backend()


def _without_run_dir(argv: list[str]) -> list[str]:
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--run-dir":
            skip = True
        elif not arg.startswith("--run-dir="):
            kept.append(arg)
    return kept


def show(value) -> None:
    """Display ``value`` under the cell in a notebook (a table renders as Markdown); print it in a script."""
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
