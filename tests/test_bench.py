"""README.md's results tables are written by bench from bench/results.json, never by hand."""

import json

import pytest

import bench.__main__ as bench
from bench.benchmarks import BENCHMARKS, README_TABLES
from course_utils import CourseError

TABLE = {
    "toy": {
        "lesson": "lesson03_sentiment",
        "label": "command",
        "columns": [("test accuracy", ".3f"), ("epochs", ".0f")],
        "rows": [
            {"entry": "default", "label": "`{command}`", "metrics": ["test_accuracy", "epochs_run"]},
            {"entry": "rnn", "label": "`{command}` (SimpleRNN)", "metrics": ["test_accuracy", "epochs_run"]},
            {
                "entry": "default",
                "label": "baseline",
                "metrics": ["baseline", "not_reported"],
                "wall": "(in every run)",
            },
        ],
    }
}
ROWS = [
    {
        "lesson": "lesson03_sentiment",
        "name": "default",
        "args": "",
        "wall_time_s": 1234.4,
        "date": "2026-01-02",
        "machine": "2 cores, Toy CPU",
        "exit_code": 0,
        "metrics": {"test_accuracy": 0.89024, "epochs_run": 3, "baseline": 0.5},
    },
    {"lesson": "lesson07_char_lm", "name": "rnn", "args": "--cell rnn", "metrics": {"test_accuracy": 0.1}},
]
BEFORE = "# Course\n\nSome prose | with a bar.\n\n<!-- bench:toy -->\n| old | table |\n<!-- /bench:toy -->\n\nAfter.\n"


def test_a_table_is_written_between_its_markers_and_nothing_else_changes():
    after = bench.render_readme(BEFORE, ROWS, TABLE)
    head, region = after.split("<!-- bench:toy -->\n")
    region, tail = region.split("<!-- /bench:toy -->")
    assert head == BEFORE.split("<!-- bench:toy -->")[0] and tail == "\n\nAfter.\n"
    assert region.splitlines()[:5] == [
        "| command | test accuracy | epochs | wall time |",
        "|---|---|---|---|",
        "| `make lesson03` | 0.890 | 3 | 20 min 34 s |",
        # rnn is stored only for another lesson, so this table has not measured it
        '| `make lesson03 ARGS="--cell rnn"` (SimpleRNN) | not measured yet | — | — |',
        "| baseline | 0.500 | — | (in every run) |",
    ]
    assert region.endswith("`default` on 2 cores, Toy CPU, 2026-01-02; not measured yet: `rnn`.\n")
    assert bench.render_readme(after, ROWS, TABLE) == after, "rewriting is stable"


def test_a_failed_run_says_so_instead_of_showing_numbers():
    failed = [dict(ROWS[0], exit_code=1, metrics=None)]
    assert "| `make lesson03` | failed (exit 1) | — | 20 min 34 s |" in bench.render_readme(BEFORE, failed, TABLE)


def test_a_column_can_show_one_key_of_a_reported_dict():
    row = dict(ROWS[0], metrics={"bleu_by_length": {"3": 41.25, "10": 12.0}})
    assert bench.metric_cells(row, ["bleu_by_length.10", "bleu_by_length.3", "bleu_by_length.7"], [".1f"] * 3) == [
        "12.0",
        "41.2",
        "—",
    ]


def test_results_md_shows_a_reported_dict_with_four_digits():
    row = dict(ROWS[0], target="", metrics={"bleu_by_length": {"3": 41.2345678, "10": 12.0}, "epochs": 4})
    assert "bleu_by_length {3: 41.23, 10: 12}, epochs 4 |" in bench.render([row])


@pytest.mark.parametrize(
    "broken",
    [
        BEFORE.replace("<!-- /bench:toy -->", ""),
        BEFORE.replace("<!-- /bench:toy -->", "<!-- /bench:other -->"),
        BEFORE + "<!-- /bench:toy -->\n",
        BEFORE.replace("toy", "unknown"),
    ],
)
def test_markers_that_do_not_pair_up_or_name_no_table_are_refused(broken):
    with pytest.raises(CourseError, match="README.md"):
        bench.render_readme(broken, ROWS, TABLE)


def test_bench_readme_rewrites_the_tables_without_running_anything(tmp_path, monkeypatch, capsys):
    readme, results = tmp_path / "README.md", tmp_path / "results.json"
    readme.write_text(BEFORE.replace("toy", "lesson05"))
    results.write_text("[]")
    monkeypatch.setattr(bench, "README", readme)
    monkeypatch.setattr(bench, "RESULTS_JSON", results)
    monkeypatch.setattr(bench, "RESULTS_MD", tmp_path / "results.md")
    monkeypatch.setattr(bench, "run_one", lambda *a: pytest.fail("--readme ran a benchmark"))
    assert bench.main(["--readme"]) == 0
    assert (tmp_path / "results.md").read_text() == bench.render([])
    rows = len(README_TABLES["lesson05"]["rows"])
    assert readme.read_text().count("not measured yet") == rows + 1  # every row and the line under the table
    assert bench.main(["--readme", "lesson05"]) == 2


def test_every_bench_run_rewrites_the_readme_tables(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(BEFORE.replace("toy", "lesson05"))
    for name, path in (("README", readme), ("RESULTS_JSON", tmp_path / "r.json"), ("RESULTS_MD", tmp_path / "r.md")):
        monkeypatch.setattr(bench, name, path)
    row = dict(
        ROWS[0], lesson="lesson05_translation", name="full-plain", target="", metrics={"bleu_plain_beam": 36.906}
    )
    monkeypatch.setattr(bench, "run_one", lambda lesson, entry: row)
    monkeypatch.setattr(bench, "REPO_ROOT", tmp_path)
    assert bench.main(["lesson05", "full-plain"]) == 0
    assert "| plain encoder-decoder | — | — | 36.9 | 20 min 34 s |" in readme.read_text()


def test_every_readme_table_names_bench_entries_and_metrics_that_exist():
    for name, table in README_TABLES.items():
        for row in table["rows"]:
            entries = {entry["name"]: entry for entry in BENCHMARKS[row.get("lesson", table["lesson"])]}
            assert row["entry"] in entries, f"README table {name}: no bench entry {row['entry']!r}"
            assert len(row["metrics"]) == len(table["columns"]), f"README table {name}: {row['entry']}'s columns"
            reported = {name.split(".")[0] for name in row["metrics"] if name}  # by_length.10: one key of by_length
            missing = reported - set(entries[row["entry"]]["report"])
            assert not missing, f"README table {name}: bench entry {row['entry']!r} does not report {missing}"


def test_the_readme_tables_are_what_bench_writes_from_results_json():
    text = bench.README.read_text(encoding="utf-8")
    assert sorted(m.group(2) for m in bench.README_REGION.finditer(text)) == sorted(README_TABLES)
    assert bench.render_readme(text, bench.read_results()) == text, (
        "README.md's results tables differ from bench/results.json: run `make bench-readme`"
    )
    assert bench.RESULTS_MD.read_text(encoding="utf-8") == bench.render(bench.read_results()), (
        "bench/results.md differs from bench/results.json: run `make bench-readme`"
    )


@pytest.mark.parametrize(
    "args, command",
    [
        ("", "make lesson07"),
        ("--units 512 --stateful", 'make lesson07 ARGS="--units 512 --stateful"'),
        ("KERAS_BACKEND=jax --quick", 'make lesson07 BACKEND=jax ARGS="--quick"'),
    ],
)
def test_a_rows_label_is_the_make_command_that_reruns_it(args, command):
    assert bench.make_command("lesson07_char_lm", args) == command


def test_rows_another_bench_stored_while_this_one_ran_are_kept(tmp_path, monkeypatch):
    results = tmp_path / "r.json"
    results.write_text("[]")
    for name, path in (
        ("README", tmp_path / "README.md"),
        ("RESULTS_JSON", results),
        ("RESULTS_MD", tmp_path / "r.md"),
    ):
        monkeypatch.setattr(bench, name, path)
    (tmp_path / "README.md").write_text("no tables\n")
    other = dict(ROWS[0], lesson="lesson03_sentiment", name="default", target="", metrics={})

    def run_while_another_bench_stores_a_row(lesson, entry):
        results.write_text(json.dumps([other]))
        return dict(ROWS[0], lesson=lesson, name=entry["name"], target="", metrics={})

    monkeypatch.setattr(bench, "run_one", run_while_another_bench_stores_a_row)
    monkeypatch.setattr(bench, "REPO_ROOT", tmp_path)
    assert bench.main(["lesson05", "full-plain"]) == 0
    stored = json.loads(results.read_text())
    assert sorted((r["lesson"], r["name"]) for r in stored) == [
        ("lesson03_sentiment", "default"),
        ("lesson05_translation", "full-plain"),
    ]
