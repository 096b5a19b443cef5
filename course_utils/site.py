"""``make site``: every lesson, executed, as a static website: its prose, code, outputs and figures in place.

    python -m course_utils.site [--notebooks DIR] [--out DIR] [--work DIR]

Each lesson runs as a notebook in a fresh kernel (as ``make notebooks`` + Jupyter would run it), in its
default configuration, or in the quick one with ``COURSE_QUICK=1``. Their run folders go under
``.cache/site-runs/default`` (or ``quick``), never into your ``runs/``: the site's runs are not yours, and
``predict`` keeps using your own newest model. The executed notebooks are kept in ``.cache/site-notebooks/``;
``--notebooks DIR`` builds from already-executed notebooks (``DIR/lessonNN_topic.ipynb``) instead of running the
lessons, e.g. ``--notebooks .cache/site-notebooks/quick`` to rebuild the pages in seconds.

The pages are written as an MkDocs project (Material theme, mkdocs-jupyter for the notebooks) into
``.cache/site-src`` (``--work``), then built into ``site/`` (``--out``; git-ignored): a home page made from
README.md (the table of lessons and the results tables), one page per lesson with links to the previous and next
lesson and to its exercises, and one page per lesson listing its exercises with the stub you start from and the
command that checks it. The site needs no network: open ``site/index.html`` or serve the folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from course_utils import REPO_ROOT
from course_utils.notebooks import LessonFailed, execute_lesson, lesson_files

SITE_DIR = REPO_ROOT / "site"
WORK_DIR = REPO_ROOT / ".cache" / "site-src"
EXECUTED_DIR = REPO_ROOT / ".cache" / "site-notebooks"
RUNS_DIR = REPO_ROOT / ".cache" / "site-runs"
README = REPO_ROOT / "README.md"
IMAGES_DIR = REPO_ROOT / "docs" / "images"  # README's figures (make readme-figures), shown on the home page too
MARKER = ".course-site"  # in a folder this command built: the only kind of non-empty --out it replaces
WIDGET = "application/vnd.jupyter.widget-view+json"


def lessons() -> list[str]:
    return [path.stem for path in lesson_files()]


def lesson_number(lesson: str) -> int:
    return int(lesson[len("lesson") : len("lesson") + 2])


# ------------------------------------------------------------------ executing the lessons
def execute_all(folder: Path, runs: Path, quick: bool) -> Path:
    """Run every lesson as a notebook (runs under ``runs``) and save each executed notebook into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(runs, ignore_errors=True)  # the previous build's runs: the site shows this build's
    mode = "quick configuration" if quick else "default configuration (takes a long time; COURSE_QUICK=1 is quick)"
    print(f"Executing the {len(lessons())} lessons as notebooks, {mode}; runs in {shown(runs)}")
    started = time.monotonic()
    for lesson in lessons():
        t0 = time.monotonic()
        print(f"  {lesson} ...", end="", flush=True)
        try:
            notebook = execute_lesson(lesson, runs, quick=quick, timeout=900 if quick else None)
        except LessonFailed as err:
            print(" failed")
            nbformat.write(err.notebook, folder / f"{lesson}.failed.ipynb")
            raise SystemExit(f"{err}\nThe site was not built (the cells run so far: {shown(folder)}).") from None
        nbformat.write(notebook, folder / f"{lesson}.ipynb")
        finished = sorted((runs / lesson).glob("*/metrics.json"), key=lambda path: path.stat().st_mtime)
        if finished:  # beside the notebook, as the tests keep theirs (tests/notebook.py)
            shutil.copyfile(finished[-1], folder / f"{lesson}.metrics.json")
        print(f" {time.monotonic() - t0:.0f} s")
    print(f"All lessons executed in {time.monotonic() - started:.0f} s; notebooks in {shown(folder)}")
    return folder


# ------------------------------------------------------------------ what a notebook shows on a page
def terminal_text(text: str) -> str:
    r"""Stream text as a terminal shows it: a carriage return goes back to the line's start and a backspace one
    character back, and what follows overwrites (progress bars redraw themselves this way)."""
    if "\r" not in text and "\b" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        chars: list[str] = []
        column = 0
        for char in line:
            if char == "\r":
                column = 0
            elif char == "\b":
                column = max(column - 1, 0)
            else:
                if column < len(chars):
                    chars[column] = char
                else:
                    chars.append(char)
                column += 1
        lines.append("".join(chars).rstrip())
    return "\n".join(lines)


def tidy_outputs(notebook) -> None:
    """Join each cell's consecutive stream outputs, redraw progress bars as their last state, and drop widget
    views (a progress bar's live widget), which a static page cannot show."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result") and WIDGET in output.get("data", {}):
                continue
            previous = outputs[-1] if outputs else None
            if (
                output.get("output_type") == "stream"
                and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")
            ):
                previous["text"] += output["text"]
                continue
            outputs.append(output)
        for output in outputs:
            if output.get("output_type") == "stream":
                output["text"] = terminal_text(output["text"])
        cell["outputs"] = outputs


def lesson_title(notebook, lesson: str) -> str:
    """The lesson's title (its docstring's first line, the notebook's first heading), e.g. 'Lesson 03: ...'."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.MULTILINE)
            if match:
                return match.group(1).strip().rstrip(".")
    return lesson


def short_title(title: str) -> str:
    """'Lesson 03: many-to-one, IMDB movie-review sentiment' -> 'Many-to-one, IMDB movie-review sentiment'."""
    rest = re.sub(r"^Lesson\s+\d+\s*:\s*", "", title)
    return rest[:1].upper() + rest[1:]


def page(lesson: str) -> str:
    return f"{lesson}.html"  # what mkdocs-jupyter makes of lessonNN_topic.ipynb (use_directory_urls: false)


def exercises_page(lesson: str) -> str:
    return f"{lesson}_exercises.md"


def with_links(notebook, lesson: str, titles: dict[str, str]) -> None:
    """Add a line of links under the lesson's title and a closing cell: previous and next lesson, exercises.

    A notebook's markdown is rendered by nbconvert, not by MkDocs, so these links name the built pages."""
    order = list(titles)
    i = order.index(lesson)
    previous = order[i - 1] if i > 0 else None
    following = order[i + 1] if i + 1 < len(order) else None
    exercises = exercises_page(lesson).replace(".md", ".html")
    parts = [f"Lesson {lesson_number(lesson)} of {len(order)}"]
    if previous:
        parts.append(f"previous: [{short_title(titles[previous])}]({page(previous)})")
    parts.append(f"[its exercises]({exercises})")
    if following:
        parts.append(f"next: [{short_title(titles[following])}]({page(following)})")
    header = nbformat.v4.new_markdown_cell(" · ".join(parts))
    closing = [
        "## What next",
        f"Write the key pieces yourself: [the exercises of lesson {lesson_number(lesson)}]({exercises}) "
        f"(`make check EX=ex{lesson_number(lesson):02d}` checks the lesson's exercises at once).",
    ]
    if following:
        closing.append(f"Then go on to [{titles[following]}]({page(following)}).")
    else:
        closing.append("That was the last lesson: back to [the course's home page](index.html).")
    first_heading = next((k for k, cell in enumerate(notebook.cells) if cell.cell_type == "markdown"), -1)
    notebook.cells.insert(first_heading + 1, header)
    notebook.cells.append(nbformat.v4.new_markdown_cell("\n\n".join(closing)))


# ------------------------------------------------------------------ the home page and the exercise pages
LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def home_page(readme: str, titles: dict[str, str]) -> str:
    """README.md as the home page: links to a lesson's file go to its page, README's images to the site's copy,
    links to other files of the repository (not part of the site) become plain text."""
    known = set(titles)

    def rewrite(match: re.Match) -> str:
        bang, text, target = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target):  # https:, mailto:, an anchor on this page
            return match.group(0)
        path = target.split("#")[0]
        stem = Path(path).stem
        if path.startswith("lessons/") and stem in known:
            return f"[{text}]({stem}.ipynb)"
        if path.startswith("docs/images/"):
            return f"{bang}[{text}](images/{path[len('docs/images/') :]})"
        return text if not bang else ""

    return LINK.sub(rewrite, readme).replace('src="docs/images/', 'src="images/')  # README's <img> tags


def fence(code: str, language: str = "python") -> str:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", code)), default=0) + 1)
    return f"{ticks}{language}\n{code.rstrip()}\n{ticks}"


def exercise_page(lesson: str, titles: dict[str, str]) -> str:
    """One lesson's exercises: what each asks, the stub you start from, the commands that check it."""
    from exercises import LESSONS, all_exercises

    number = lesson_number(lesson)
    found = [e for e in all_exercises() if e.lesson == number]
    ids = [e.id for e in found if not e.is_quiz]
    lines = [
        f"# Exercises of lesson {number:02d}: {LESSONS.get(number, short_title(titles[lesson]))}",
        "",
        f"After [{titles[lesson]}]({lesson}.ipynb). In your checkout, `make exercises` creates your files "
        "(`exercises/exNNx_topic.py`, git-ignored: `git pull` never touches them). Open one, replace each "
        "`TODO` with your code, save, and check it; `make hint` gives a hint, `make watch` re-checks on every "
        f"save. `make check EX=ex{number:02d}` checks the lesson's exercises ({', '.join(ids)}) at once.",
        "",
    ]
    if not found:
        lines.append("This lesson has no exercises yet.")
    for exercise in found:
        label = "Quiz" if exercise.is_quiz else "Exercise"
        lines += [
            f"## {exercise.id}: {exercise.title}",
            "",
            f"{label} file: `exercises/{exercise.name}.py`. Check it, ask for a hint:",
            "",
            fence(f"make check EX={exercise.id}\nmake hint EX={exercise.id}", "bash"),
            "",
            "The stub you start from:",
            "",
            fence(exercise.stub_text()),
            "",
        ]
    order = list(titles)
    following = order[order.index(lesson) + 1] if order.index(lesson) + 1 < len(order) else None
    lines.append(
        f"Back to [the lesson]({lesson}.ipynb)"
        + (f"; next: [{titles[following]}]({following}.ipynb)." if following else "; back [home](index.md).")
    )
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the MkDocs project and its build
def site_title(readme: str) -> str:
    match = re.search(r"^#\s+(.+)$", readme, flags=re.MULTILINE)
    return match.group(1).strip() if match else "Recurrent neural networks"


# Wider pages than Material's default (61rem): a lesson's code and its tables need the room.
CSS = """.md-grid { max-width: 100rem; }
.jupyter-wrapper .jp-OutputArea-output pre { font-size: 0.75rem; }
"""


def write_project(notebooks: Path, work: Path, out: Path) -> Path:
    """Write the MkDocs project (``work``/docs and ``work``/mkdocs.yml) from the executed notebooks."""
    missing = [lesson for lesson in lessons() if not (notebooks / f"{lesson}.ipynb").is_file()]
    if missing:
        raise SystemExit(f"no executed notebook for {', '.join(missing)} in {shown(notebooks)}")
    docs = work / "docs"
    if docs.exists():
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    executed = {lesson: nbformat.read(notebooks / f"{lesson}.ipynb", as_version=4) for lesson in lessons()}
    titles = {lesson: lesson_title(notebook, lesson) for lesson, notebook in executed.items()}
    for lesson, notebook in executed.items():
        tidy_outputs(notebook)
        with_links(notebook, lesson, titles)
        nbformat.write(notebook, docs / f"{lesson}.ipynb")
        (docs / exercises_page(lesson)).write_text(exercise_page(lesson, titles), encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    (docs / "index.md").write_text(home_page(readme, titles), encoding="utf-8")
    if IMAGES_DIR.is_dir():
        shutil.copytree(IMAGES_DIR, docs / "images")
    (docs / "stylesheets").mkdir()
    (docs / "stylesheets" / "course.css").write_text(CSS, encoding="utf-8")
    nav = [{"Home": "index.md"}]
    for lesson, title in titles.items():
        nav.append(
            {
                f"{lesson_number(lesson):02d} {short_title(title)}": [
                    {"Lesson": f"{lesson}.ipynb"},
                    {"Exercises": exercises_page(lesson)},
                ]
            }
        )
    config = {
        "site_name": site_title(readme),
        "site_description": "An open course on recurrent neural networks with Keras 3: every lesson, run.",
        "docs_dir": "docs",
        "site_dir": str(out.resolve()),
        "use_directory_urls": False,  # pages as name.html: the site also works opened from disk
        "theme": {
            "name": "material",
            "font": False,  # no web fonts: the site loads nothing from the network
            "features": ["navigation.footer", "navigation.top", "content.code.copy"],
            "palette": {"primary": "indigo", "accent": "indigo"},
        },
        "extra_css": ["stylesheets/course.css"],
        "plugins": [
            "search",
            {
                "mkdocs-jupyter": {
                    "include": ["*.ipynb"],  # the lessons, executed; never run again here
                    "execute": False,
                    "include_source": True,  # a download link to each executed notebook
                    "include_requirejs": False,
                    "custom_mathjax_url": "",  # no MathJax from a CDN (the lessons hold no TeX): nothing remote
                    "cache": False,
                }
            },
        ],
        "markdown_extensions": [
            "tables",
            "admonition",
            "attr_list",
            {"toc": {"permalink": True}},
            "pymdownx.highlight",
            "pymdownx.superfences",
        ],
        "nav": nav,
    }
    (work / "mkdocs.yml").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")  # JSON is YAML
    return work / "mkdocs.yml"


def mkdocs_build(config: Path, out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"{shown(out)} exists and was not built by this command: choose another --out")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--clean", "-f", str(config)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"mkdocs build failed:\n{done.stdout}{done.stderr}")
    (out / MARKER).write_text("built by python -m course_utils.site\n")


def build(notebooks: Path | None = None, out: Path = SITE_DIR, work: Path = WORK_DIR, quick: bool = False) -> Path:
    """Execute the lessons (unless ``notebooks`` holds executed ones), write the project, build the site."""
    for module in ("mkdocs", "material", "mkdocs_jupyter"):
        try:
            __import__(module)
        except ImportError:
            raise SystemExit(
                f"{module} is not installed: run `make site` (it installs requirements-site.txt)"
            ) from None
    if notebooks is None:
        mode = "quick" if quick else "default"
        notebooks = execute_all(EXECUTED_DIR / mode, RUNS_DIR / mode, quick)
    started = time.monotonic()
    config = write_project(Path(notebooks), Path(work), Path(out))
    mkdocs_build(config, Path(out))
    print(f"Site built in {time.monotonic() - started:.0f} s: {shown(Path(out) / 'index.html')}")
    print(f"Serve it: python -m http.server -d {shown(Path(out))} 8000, then open http://localhost:8000")
    return Path(out)


def shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    from course_utils.lesson import quick_requested

    parser = argparse.ArgumentParser(
        prog="python -m course_utils.site", description="Every lesson, executed, as a static website (make site)."
    )
    parser.add_argument("--notebooks", type=Path, help="build from these executed notebooks (lessonNN_topic.ipynb)")
    parser.add_argument("--out", type=Path, default=SITE_DIR, help="the built site (default: site/)")
    parser.add_argument("--work", type=Path, default=WORK_DIR, help="the MkDocs project (default: .cache/site-src/)")
    args = parser.parse_args(argv)
    if args.notebooks is not None and not args.notebooks.is_dir():
        parser.error(f"--notebooks {args.notebooks}: no such folder")
    build(args.notebooks, args.out, args.work, quick=quick_requested())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
