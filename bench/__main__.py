"""``make bench``: full-size runs of every configuration in ``bench/benchmarks.py``; writes a results table.

Each lesson has a list of entries such as

    {"name": "default", "args": [], "report": ["test_accuracy"], "target": "test_accuracy >= 0.87, <= 300 s"}

Each entry is run in a fresh process (``python -m lessons.<lesson> <args> --run-dir runs/bench/...``);
its metrics.json is read back and the row is stored in bench/results.json and rendered to
bench/results.md. ``make bench ARGS="lesson03"`` runs only the lessons whose name contains
lesson03; ``ARGS="lesson03 default"`` only that entry.

After every run the results tables in README.md (between ``<!-- bench:NAME -->`` and
``<!-- /bench:NAME -->``, laid out by ``README_TABLES`` in bench/benchmarks.py) are rewritten from
results.json; ``python -m bench --readme`` (``make bench-readme``) rewrites them without running anything.
"""

from __future__ import annotations

import contextlib
import itertools
import fcntl
import importlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import course_utils  # noqa: F401
import bench.benchmarks
from bench.benchmarks import BENCHMARKS, README_TABLES
from course_utils import REPO_ROOT, CourseError
from course_utils.atomic import claim_new_folder, write_atomic

RESULTS_JSON = REPO_ROOT / "bench" / "results.json"
RESULTS_MD = REPO_ROOT / "bench" / "results.md"
RESULTS_LOCK = REPO_ROOT / ".cache" / "bench-results.lock"  # held while a run stores its row
README = REPO_ROOT / "README.md"
README_REGION = re.compile(r"(<!-- bench:([\w-]+) -->\n)(.*?)(<!-- /bench:\2 -->)", re.DOTALL)
NOT_MEASURED = "not measured yet"
ENV_WORD = re.compile(r"[A-Z][A-Z0-9_]*=")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def lessons_with_benchmarks():
    yield from sorted(BENCHMARKS.items())


ROW_LOCKS = REPO_ROOT / ".cache" / "bench-rows"  # one lock file per row, held while the row runs


@contextlib.contextmanager
def claim_row(lesson: str, name: str):
    """Hold the row ``lesson``/``name`` while it runs: a second bench that starts the same row meanwhile (in
    another terminal, even in the same second) is refused in one line, instead of training in the same
    folder or overwriting the first one's row."""
    ROW_LOCKS.mkdir(parents=True, exist_ok=True)
    with open(ROW_LOCKS / f"{lesson}-{name}.lock", "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read(40).strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise CourseError(
                f"{lesson} / {name} is already being run by another bench{who}; wait for it to end, "
                "then run this one again"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(str(os.getpid()))
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def new_run_dir(lesson: str, name: str) -> Path:
    """A new, empty folder under runs/bench for one run of the row, created here: never one another run has."""
    return claim_new_folder(REPO_ROOT / "runs" / "bench", f"{lesson}-{name}-{int(time.time())}")


def run_one(lesson: str, entry: dict) -> dict:
    run_dir = new_run_dir(lesson, entry["name"])
    command = [sys.executable, "-m", f"lessons.{lesson}", *entry["args"], "--run-dir", str(run_dir)]
    settings = entry.get("env", {})  # e.g. {"KERAS_BACKEND": "jax"}: the row runs on another Keras backend
    print(f"\n=== {lesson} / {entry['name']}: {make_command(lesson, planned_args(entry))}", flush=True)
    started = time.time()
    result = subprocess.run(command, cwd=REPO_ROOT, env={**os.environ, **settings})
    wall = time.time() - started
    row = {
        "lesson": lesson,
        "name": entry["name"],
        "args": planned_args(entry),
        "target": entry.get("target", ""),
        "wall_time_s": round(wall, 1),
        "date": date.today().isoformat(),
        "machine": f"{os.cpu_count()} cores, {cpu_name()}",
        "exit_code": result.returncode,
    }
    metrics_file = run_dir / "metrics.json"
    if result.returncode == 0 and metrics_file.is_file():
        try:
            metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
            row["metrics"] = {k: metrics.get(k) for k in entry.get("report", [])}
        except (OSError, ValueError, AttributeError) as err:
            print(f"bench: {metrics_file} is unreadable ({type(err).__name__}); its row has no results", flush=True)
    return row


def read_results(path: Path | None = None) -> list[dict]:
    """The stored rows; a damaged file stops the bench with one line (it holds every earlier result)."""
    path = Path(path or RESULTS_JSON)
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(rows, list) or not all(isinstance(r, dict) and {"lesson", "name"} <= r.keys() for r in rows):
            raise ValueError("not a list of result rows")
    except (OSError, ValueError) as err:
        reason = (str(err).splitlines() or [type(err).__name__])[0][:120]
        raise CourseError(
            f"{path} is unreadable ({reason}); restore it from git or delete it to start a new table"
        ) from None
    return rows


def shown_value(value) -> str:
    """A metric as results.md shows it: 4 significant digits, a dict (BLEU by length) as {key: value, ...}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown_value(v)}" for k, v in value.items()) + "}"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def render(rows: list[dict]) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` from real runs; every number below comes from the run's own",
        "metrics.json. Wall time includes start-up, data preparation and evaluation.",
        "",
        "| lesson | config | flags | results | wall time | target | machine | date |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        metrics = r.get("metrics") or {}
        shown = ", ".join(f"{k} {shown_value(v)}" for k, v in metrics.items())
        if r.get("exit_code"):
            shown = f"failed (exit {r['exit_code']})"
        lines.append(
            f"| {r['lesson']} | {r['name']} | `{r['args'] or '(defaults)'}` | {shown} | {r['wall_time_s']:.0f} s "
            f"| {r['target']} | {r['machine']} | {r['date']} |"
        )
    return "\n".join(lines) + "\n"


def make_command(lesson: str, args: str) -> str:
    """The make command for a row's args; leading NAME=value words are its environment (see run_one)."""
    words = args.split()
    settings = list(itertools.takewhile(ENV_WORD.match, words))
    flags = " ".join(words[len(settings) :])
    backend = [w for w in settings if w.startswith("KERAS_BACKEND=")]  # the Makefile's BACKEND=
    others = [w for w in settings if w not in backend]
    command = " ".join([*others, "make", lesson.split("_")[0], *(w.removeprefix("KERAS_") for w in backend)])
    return f'{command} ARGS="{flags}"' if flags else command


def planned_args(entry: dict) -> str:
    """An entry's args as run_one stores them in its row: environment settings first, then the flags."""
    return " ".join([*(f"{k}={v}" for k, v in entry.get("env", {}).items()), *entry.get("args", [])])


def format_wall_time(seconds: float) -> str:
    if seconds < 600:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def metric_value(measured: dict, name: str):
    """A reported value; ``name.key`` reads one key of a reported dict (``bleu_plain_beam_by_length.10``)."""
    value = measured
    for key in name.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def metric_cells(row: dict | None, metrics: list[str], formats: list[str]) -> list[str]:
    if row is None:
        return [NOT_MEASURED] + ["—"] * (len(metrics) - 1)
    if row.get("exit_code"):
        return [f"failed (exit {row['exit_code']})"] + ["—"] * (len(metrics) - 1)
    measured = row.get("metrics") or {}
    cells = []
    for name, spec in zip(metrics, formats):
        value = metric_value(measured, name) if name else None
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        cells.append(format(value, spec) if is_number else "—" if value is None else str(value))
    return cells


def measured_on(found: dict[str, dict | None]) -> str:
    """The line under a table: which entries were measured on which machine and date, and which not yet."""
    groups: dict[tuple[str, str], list[str]] = {}
    for entry, row in found.items():
        if row is not None:
            key = (row.get("machine", "an unrecorded machine"), row.get("date", "no date"))
            groups.setdefault(key, []).append(entry)
    names = lambda entries: ", ".join(f"`{entry}`" for entry in entries)
    parts = [f"{names(entries)} on {machine}, {day}" for (machine, day), entries in groups.items()]
    missing = [entry for entry, row in found.items() if row is None]
    if missing:
        parts.append(f"{NOT_MEASURED}: {names(missing)}")
    return (
        f"Measured with `make bench` (entries in bench/benchmarks.py, rows in bench/results.json): {'; '.join(parts)}."
    )


def render_table(table: dict, rows: list[dict], benchmarks: dict | None = None) -> str:
    """A row's lesson is the table's unless the row names its own (a table across lessons, such as backends)."""
    stored = {(r["lesson"], r["name"]): r for r in rows}
    headers = [table["label"], *(header for header, _ in table["columns"]), "wall time"]
    formats = [spec for _, spec in table["columns"]]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    found: dict[str, dict | None] = {}
    for spec in table["rows"]:
        lesson = spec.get("lesson", table["lesson"])
        shown = f"{lesson.split('_')[0]} {spec['entry']}" if "lesson" in spec else spec["entry"]
        row = found[shown] = stored.get((lesson, spec["entry"]))
        planned = {e["name"]: e for e in (BENCHMARKS if benchmarks is None else benchmarks).get(lesson, [])}
        args = row["args"] if row else planned_args(planned.get(spec["entry"], {}))
        label = spec["label"].replace("{command}", make_command(lesson, args))
        wall = spec.get("wall") or (format_wall_time(row["wall_time_s"]) if row and "wall_time_s" in row else "—")
        lines.append("| " + " | ".join([label, *metric_cells(row, spec["metrics"], formats), wall]) + " |")
    return "\n".join(lines) + "\n\n" + measured_on(found) + "\n"


def render_readme(text: str, rows: list[dict], tables: dict | None = None, benchmarks: dict | None = None) -> str:
    """``text`` with every bench region rewritten from ``rows``; everything outside the markers is kept as it is."""
    tables = README_TABLES if tables is None else tables
    paired = [m.group(2) for m in README_REGION.finditer(text)]
    if not (re.findall(r"<!-- bench:([\w-]+) -->", text) == paired == re.findall(r"<!-- /bench:([\w-]+) -->", text)):
        raise CourseError(
            "README.md's bench markers do not pair up: each <!-- bench:NAME --> ends its line and has its own "
            "<!-- /bench:NAME --> after it, not nested"
        )
    unknown = sorted(set(paired) - set(tables))
    if unknown:
        raise CourseError(f"README.md has a bench table {unknown[0]!r} that bench/benchmarks.py's README_TABLES lacks")
    return README_REGION.sub(
        lambda m: m.group(1) + render_table(tables[m.group(2)], rows, benchmarks) + m.group(4), text
    )


def write_readme_tables(rows: list[dict], path: Path | None = None) -> list[str]:
    """Rewrite README's bench regions (atomically, only when they changed); returns the tables' names.

    The tables are laid out by bench/benchmarks.py as it is now, read again: a long run may have been
    started before an entry was added."""
    path = Path(path or README)
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CourseError(f"{path} cannot be read ({type(err).__name__})") from None
    layout = importlib.reload(bench.benchmarks)
    new = render_readme(text, rows, layout.README_TABLES, layout.BENCHMARKS)
    if new != text:
        write_atomic(path, new.encode("utf-8"))
    return [m.group(2) for m in README_REGION.finditer(text)]


def update_readme_only() -> int:
    """README's tables and results.md, both written from results.json again (after a change to their layout)."""
    try:
        rows = read_results()
        names = write_readme_tables(rows)
        write_atomic(RESULTS_MD, render(rows))
    except (CourseError, OSError) as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 2
    print(f"README.md: tables {', '.join(names) or '(none)'} and {RESULTS_MD.name} written from bench/results.json")
    return 0


def store_row(row: dict) -> None:
    """Add ``row`` to results.json (replacing the same entry's older row), results.md and README's tables.

    Under a lock, reading the file again first: another bench process may have stored rows meanwhile.
    """
    RESULTS_LOCK.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS_LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = [r for r in read_results() if (r["lesson"], r["name"]) != (row["lesson"], row["name"])] + [row]
        stored.sort(key=lambda r: (r["lesson"], r["name"]))
        write_atomic(RESULTS_JSON, json.dumps(stored, indent=2) + "\n")
        write_atomic(RESULTS_MD, render(stored))
        try:
            write_readme_tables(stored)
        except (CourseError, OSError) as err:
            print(f"bench: README.md's tables not rewritten: {err}", file=sys.stderr)


def main(argv: list[str]) -> int:
    if "--readme" in argv:
        if len(argv) > 1:
            print("bench: error: --readme takes nothing else (it runs no benchmark)", file=sys.stderr)
            return 2
        return update_readme_only()
    lesson_filter = argv[0] if argv else ""
    name_filter = argv[1] if len(argv) > 1 else ""
    try:
        read_results()  # a damaged results file stops the bench before anything runs
    except CourseError as err:
        print(f"bench: error: {err}", file=sys.stderr)
        return 2
    ran = 0
    for lesson, entries in lessons_with_benchmarks():
        if lesson_filter not in lesson:
            continue
        for entry in entries:
            if name_filter and entry["name"] != name_filter:
                continue
            try:
                with claim_row(lesson, entry["name"]):
                    row = run_one(lesson, entry)
                    try:
                        store_row(row)
                    except (CourseError, OSError) as err:
                        print(f"bench: error: {err}; this run's row was not stored: {json.dumps(row)}", file=sys.stderr)
                        return 2
            except (CourseError, OSError) as err:  # the row is running elsewhere, or runs/bench cannot be written
                print(f"bench: error: {err}", file=sys.stderr)
                return 2
            ran += 1
    if not ran:
        print(f"no benchmark matched {' '.join(argv)!r}", file=sys.stderr)
        return 2
    print(f"\nResults: {RESULTS_MD.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
