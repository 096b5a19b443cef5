"""The lessons' sub-commands: ``python -m lessons.lessonNN_topic predict ...`` and ``... compare``.

They are tools around a lesson, not part of what it teaches, so they live here, one module per lesson
(``course_utils/commands/lesson03_sentiment.py``), and take what they need from the lesson's saved
definitions (``lessons/saved/``), so they never run a lesson's cells. A module may define:

    PREDICT_INPUT = "what one input is"      with predict(args), and optionally predict_flags(parser)
    COMMANDS = {"compare": "what it does"}   each with a function of that name: compare(config, argv)

``course_utils.lesson.configure`` runs them when the lesson's command line starts with their name.
"""

from __future__ import annotations

import importlib
import importlib.util

from course_utils import CourseError, cli


def module(lesson: str):
    """The lesson's commands module, or None when it has none."""
    name = f"course_utils.commands.{lesson}"
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def is_command(lesson: str, word: str) -> bool:
    if word == "predict":
        return True  # a lesson without predict says so with one line
    commands = module(lesson)
    return commands is not None and word in getattr(commands, "COMMANDS", {})


def refuse_undecodable(args) -> None:
    """One line for an argument that is not UTF-8 text: Python hands such bytes over as lone surrogates, which
    TensorFlow refuses and a terminal cannot print."""
    values = [v for value in vars(args).values() for v in (value if isinstance(value, list) else [value])]
    for value in values:
        if isinstance(value, str) and any("\udc80" <= ch <= "\udcff" for ch in value):
            shown = value.encode("utf-8", "surrogateescape")[:40]
            raise CourseError(f"an argument is not UTF-8 text ({shown!r}); give text in UTF-8, or a UTF-8 file")


def predict_parser(lesson: str, commands) -> cli.OneLineParser:
    parser = cli.OneLineParser(
        prog=f"python -m lessons.{lesson} predict",
        description=f"Load a trained model and print its prediction for each input ({commands.PREDICT_INPUT}).",
    )
    parser.add_argument("--model", default=None, help="a .keras file (default: the newest run's model)")
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help=commands.PREDICT_INPUT)
    if hasattr(commands, "predict_flags"):
        commands.predict_flags(parser)
    return parser


def run(lesson: str, argv: list[str], prog: str, config_class) -> int:
    """Run the sub-command ``argv[0]`` with the rest of ``argv``; its exit status (errors raise CourseError)."""
    from course_utils.lesson import exit_status, parse_config

    commands = module(lesson)
    name, rest = argv[0], argv[1:]
    try:
        if name == "predict":
            if commands is None or not hasattr(commands, "predict"):
                cli.OneLineParser(prog=prog).error("this lesson has no predict command")
            args = predict_parser(lesson, commands).parse_args(rest)
            refuse_undecodable(args)
            commands.predict(args)
            return 0
        config = parse_config(config_class, f"{prog} {name}", rest, commands.COMMANDS[name])
        return getattr(commands, name)(config, rest) or 0
    except (CourseError, KeyboardInterrupt) as err:
        return exit_status(err, f"{prog} {name}")
