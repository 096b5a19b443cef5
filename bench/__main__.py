"""``make bench``: full-size runs of every configuration in ``bench/benchmarks.py``; writes a results table.

Each lesson has a list of entries such as

    {"name": "default", "args": [], "report": ["test_accuracy"], "target": "test_accuracy >= 0.87, <= 300 s"}

Each entry is run in a fresh process (``python -m lessons.<lesson> <args> --run-dir runs/bench/...``);
its metrics.json is read back and the row is stored in bench/results.json and rendered to
bench/results.md. ``make bench ARGS="lesson03"`` runs only the lessons whose name contains
lesson03; ``ARGS="lesson03 default"`` only that entry.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import course_utils  # noqa: F401
from bench.benchmarks import BENCHMARKS
from course_utils import REPO_ROOT, CourseError
from course_utils.atomic import write_atomic

RESULTS_JSON = REPO_ROOT / "bench" / "results.json"
RESULTS_MD = REPO_ROOT / "bench" / "results.md"


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


def run_one(lesson: str, entry: dict) -> dict:
    run_dir = REPO_ROOT / "runs" / "bench" / f"{lesson}-{entry['name']}-{int(time.time())}"
    command = [sys.executable, "-m", f"lessons.{lesson}", *entry["args"], "--run-dir", str(run_dir)]
    print(f"\n=== {lesson} / {entry['name']}: {' '.join(command[2:])}", flush=True)
    started = time.time()
    result = subprocess.run(command, cwd=REPO_ROOT)
    wall = time.time() - started
    row = {
        "lesson": lesson,
        "name": entry["name"],
        "args": " ".join(entry["args"]),
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
        shown = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items())
        if r.get("exit_code"):
            shown = f"failed (exit {r['exit_code']})"
        lines.append(
            f"| {r['lesson']} | {r['name']} | `{r['args'] or '(defaults)'}` | {shown} | {r['wall_time_s']:.0f} s "
            f"| {r['target']} | {r['machine']} | {r['date']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    lesson_filter = argv[0] if argv else ""
    name_filter = argv[1] if len(argv) > 1 else ""
    try:
        stored = read_results()
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
            row = run_one(lesson, entry)
            stored = [r for r in stored if (r["lesson"], r["name"]) != (lesson, entry["name"])] + [row]
            stored.sort(key=lambda r: (r["lesson"], r["name"]))
            write_atomic(RESULTS_JSON, json.dumps(stored, indent=2) + "\n")
            write_atomic(RESULTS_MD, render(stored))
            ran += 1
    if not ran:
        print(f"no benchmark matched {' '.join(argv)!r}", file=sys.stderr)
        return 2
    print(f"\nResults: {RESULTS_MD.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
