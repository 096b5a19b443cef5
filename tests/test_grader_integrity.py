"""The checker cannot be fooled by the learner's code, and its commands hold up (issue #27, items 1-6, 12b, 12c,
17 and 18).

The learner's code runs in a process of its own (exercises/sandbox.py): whatever it replaces there (NumPy's
comparisons, the check, the progress file), however it ends (os._exit, KeyboardInterrupt, a loop that ignores
SIGALRM), the check fails with an honest message and nothing is recorded as passed. Every cheating file runs in a
separate Python here too, so that a checker that does run the learner's code in its own process cannot take
pytest down with it. Like the other exercise tests, nothing here touches the learner's own files in exercises/.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from course_utils import REPO_ROOT
from exercises import all_exercises
from exercises import __main__ as cli

BY_ID = {e.id: e for e in all_exercises()}
WRONG_STEP = "def rnn_step(x, h_prev, W_xh, W_hh, b_h):\n    return np.zeros(len(h_prev))  # wrong\n"
WRONG_FORWARD = (
    "def rnn_forward(xs, W_xh, W_hh, b_h, h0=None):\n    return np.zeros((len(xs), W_hh.shape[0]))  # wrong\n"
)


def write(folder, ex_id, text):
    path = BY_ID[ex_id].file_in(folder)
    path.write_text(textwrap.dedent(text))
    return path


def command(folder, *args, timeout=180, **options):
    """``python -m exercises ARGS --dir folder`` in a Python of its own (stdin is not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "exercises", *args, "--dir", str(folder)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        **options,
    )


def outcome_of(folder, ex_id, time_limit_s=60, timeout=180):
    """``run_check`` on the folder's file for ``ex_id``, in a Python of its own: ``{status, message, seconds}``."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from exercises import all_exercises
        from exercises.runner import run_check
        exercise = next(e for e in all_exercises() if e.id == {ex_id!r})
        outcome = run_check(exercise, exercise.file_in(Path({str(folder)!r})), time_limit_s={time_limit_s})
        sys.stdout.write("\\nRESULT " + json.dumps({{"status": outcome.status, "message": outcome.message,
                                                "seconds": outcome.seconds, "output": outcome.output}}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"the checker's own process did not finish (status {result.returncode}):\n{result.stderr[-3000:]}"
    return json.loads(lines[-1][len("RESULT ") :])


def done(folder) -> set:
    """The exercises `make exercises` lists as done for ``folder``."""
    listing = command(folder, "list")
    assert listing.returncode == 0, listing.stderr
    return {line.split()[1].split("/")[-1].split("_")[0] for line in listing.stdout.splitlines() if "  done " in line}


# ------------------------------------------------------------------ 1, 2: the learner's code cannot reach the verdict
CHEATS = {
    "np.isclose and np.allclose replaced": """
        import numpy as np
        np.isclose = lambda a, b, *args, **kw: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
        np.allclose = lambda *args, **kw: True
        np.array_equal = lambda *args, **kw: True
        """,
    "the check replaced": """
        import numpy as np
        import exercises.checks.ex01a_rnn_step as checked
        checked.check = lambda learner: "all good"
        """,
    "the checker's comparisons replaced": """
        import numpy as np
        import exercises.checking as checking
        checking.expect_close = lambda got, *args, **kw: got
        checking.CheckFailed = type("Nothing", (BaseException,), {})
        """,
    "the runner replaced": """
        import numpy as np
        import exercises.runner as runner
        from exercises.runner import Outcome
        runner.run_check = lambda exercise, path, *a, **k: Outcome(exercise, path, "passed", "ok", 0.0)
        """,
}
CHEATS = {name: textwrap.dedent(text) for name, text in CHEATS.items()}


@pytest.mark.parametrize("cheat", CHEATS, ids=list(CHEATS))
def test_a_wrong_answer_that_tampers_with_the_checker_does_not_pass_nor_is_recorded(tmp_path, cheat):
    write(tmp_path, "ex01a", CHEATS[cheat] + WRONG_STEP)
    result = command(tmp_path, "check", "ex01a")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ex01a_rnn_step (" in result.stdout and "FAILED" in result.stdout, result.stdout
    assert "PASSED" not in result.stdout, result.stdout
    assert "ex01a" not in done(tmp_path)


def test_a_patched_numpy_does_not_carry_over_to_the_next_exercise(tmp_path):
    write(tmp_path, "ex01a", CHEATS["np.isclose and np.allclose replaced"] + WRONG_STEP)
    write(tmp_path, "ex01b", "import numpy as np\n\n" + WRONG_FORWARD)
    write(tmp_path, "ex01c", BY_ID["ex01c"].solution_text())
    result = command(tmp_path, "check", "ex01")
    assert result.returncode == 1
    assert "1 of 3 done" in result.stdout, result.stdout
    assert done(tmp_path) == {"ex01c"}


# ------------------------------------------------------------ 3: progress the learner's code writes is not believed
FORGE = textwrap.dedent(
    """
    import json
    from pathlib import Path
    state = Path(__file__).parent / ".state"
    state.mkdir(exist_ok=True)
    forged = {"ex07c_generate": "passed", "quiz2_char_beam_search": "passed", "ex01a_rnn_step": "passed"}
    (state / "progress.json").write_text(json.dumps(forged))
    (state / "forged.json").write_text(json.dumps(forged))
    (state / "signed.json").write_text(json.dumps({"progress": forged, "signature": "0" * 64}))
    """
)


def test_progress_written_by_the_learners_code_is_not_believed(tmp_path):
    write(tmp_path, "ex01a", FORGE + "import numpy as np\n" + WRONG_STEP)
    result = command(tmp_path, "check", "ex01a")
    assert result.returncode == 1 and "FAILED" in result.stdout, result.stdout + result.stderr
    assert done(tmp_path) == set()
    solution = command(tmp_path, "solution", "ex07c")  # not passed: it asks first (and stdin is no terminal)
    assert solution.returncode == 2 and "needs a confirmation" in solution.stderr, solution.stdout + solution.stderr
    assert not (tmp_path / "solutions").exists()
    for forged in ("forged.json", "signed.json"):  # also one shaped like the checker's own, with a made-up signature
        (tmp_path / ".state" / "progress.json").write_text((tmp_path / ".state" / forged).read_text())
        assert done(tmp_path) == set()
        assert cli.passed(tmp_path) == {}
    assert "not written by this checker" in command(tmp_path, "list").stdout


def test_progress_copied_from_another_folder_is_not_believed(tmp_path):
    mine, other = tmp_path / "mine", tmp_path / "other"
    mine.mkdir()
    other.mkdir()
    write(other, "ex05a", BY_ID["ex05a"].solution_text())
    assert cli.main(["check", "ex05a", "--dir", str(other)]) == 0
    assert done(other) == {"ex05a"}
    (mine / ".state").mkdir()
    (mine / ".state" / "progress.json").write_bytes((other / ".state" / "progress.json").read_bytes())
    assert done(mine) == set()


# ------------------------------------------------------------ 4, 5, 6: however the learner's code ends, one verdict
def test_os_exit_at_import_fails_with_one_honest_line(tmp_path):
    write(tmp_path, "ex01a", "import os\nos._exit(0)\n" + BY_ID["ex01a"].solution_text())
    outcome = outcome_of(tmp_path, "ex01a")
    assert outcome["status"] == "error", outcome
    assert len(outcome["message"].splitlines()) == 1 and "no verdict" in outcome["message"], outcome


def test_a_printed_pass_then_os_exit_does_not_look_like_a_pass(tmp_path):
    fake = "ex01a_rnn_step (exercises/ex01a_rnn_step.py): PASSED in 0.1 s. rnn_step matches h_t."
    write(tmp_path, "ex01a", f"import os, sys\nprint({fake!r})\nsys.stdout.flush()\nos._exit(0)\n")
    result = command(tmp_path, "check", "ex01a")
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert [line for line in lines if "PASSED" in line] == [f"  | {fake}"], result.stdout  # marked as the learner's
    verdict = next(line for line in lines if line.startswith("ex01a_rnn_step ("))
    assert verdict.endswith("ERROR"), result.stdout
    assert "ex01a" not in done(tmp_path)


@pytest.mark.parametrize("raised", ["BaseException", "KeyboardInterrupt", "SystemExit(0)", "GeneratorExit"])
def test_a_base_exception_at_import_is_a_verdict_not_a_crash(tmp_path, raised):
    write(tmp_path, "ex01a", f"import numpy as np\nraise {raised}\n")
    result = command(tmp_path, "check", "ex01a")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert "ERROR" in result.stdout and "ex01a_rnn_step.py" in result.stdout, result.stdout


def test_a_loop_that_ignores_sigalrm_is_stopped_at_the_time_limit_with_what_it_started(tmp_path):
    marker = tmp_path / "child.pid"
    write(
        tmp_path,
        "ex01a",
        f"""
        import signal, subprocess
        import numpy as np
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen(["sleep", "300"])
        open({str(marker)!r}, "w").write(str(child.pid))

        def rnn_step(x, h_prev, W_xh, W_hh, b_h):
            while True:
                pass
        """,
    )
    start = time.monotonic()
    outcome = outcome_of(tmp_path, "ex01a", time_limit_s=3, timeout=90)
    assert time.monotonic() - start < 60
    assert outcome["status"] == "error", outcome
    assert "still running after 3 s" in outcome["message"] and "rnn_step, case:" in outcome["message"], outcome
    pid = int(marker.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.1)
    assert not alive(pid), "the process the learner's code started is still running"


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


# ------------------------------------------------------------------ 12b, 12c, 17: the commands on odd files
def test_reset_check_and_solution_when_the_file_is_a_folder(tmp_path, capsys):
    folder = BY_ID["ex01a"].file_in(tmp_path)
    folder.mkdir()
    assert cli.main(["reset", "ex01a", "--yes", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "is a folder" in err, err
    assert folder.is_dir()
    assert cli.main(["check", "ex01a", "--dir", str(tmp_path)]) == 1
    assert "is not a file" in capsys.readouterr().out
    (tmp_path / "solutions" / "ex01a_rnn_step.py").mkdir(parents=True)
    assert cli.main(["solution", "ex01a", "--yes", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "is a folder" in err, err


def test_a_closed_pipe_ends_the_listing_quietly(tmp_path):
    read, write_end = os.pipe()
    os.close(read)  # the reader (head -3) has gone before the first line
    try:
        result = subprocess.run(
            [sys.executable, "-m", "exercises", "list", "--dir", str(tmp_path)],
            cwd=REPO_ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr


def test_an_edited_solution_copy_in_another_encoding_is_kept(tmp_path, capsys):
    copy = tmp_path / "solutions" / "ex01a_rnn_step.py"
    copy.parent.mkdir()
    notes = "# mes notes: le café\n".encode("latin-1")
    copy.write_bytes(notes)
    assert cli.main(["solution", "ex01a", "--yes", "--dir", str(tmp_path)]) == 0
    assert copy.read_bytes() == notes
    out = capsys.readouterr().out
    assert "left as it is" in out and "def rnn_step" in out


# ------------------------------------------------------------------ 18: two checks at once lose nothing
WRITER = """
import sys, time
from pathlib import Path
from exercises import Exercise
from exercises.__main__ import remember
from exercises.runner import Outcome
folder, writer, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
go.with_name(f"ready-{writer}").touch()
while not go.exists():
    time.sleep(0.001)
for i in range(60):  # a new exercise each time: one lost write loses it for good
    exercise = Exercise(f"ex99{writer}_{i}", 99)
    remember(folder, [Outcome(exercise, exercise.file_in(folder).resolve(), "passed", "", 0.0)])
"""


def test_progress_written_by_several_checks_at_once_keeps_every_result(tmp_path):
    go, writers = tmp_path / "go", "abcdef"
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), writer, str(go)], cwd=REPO_ROOT)
        for writer in writers
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < len(writers) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()  # all start writing at the same moment
    assert all(p.wait(timeout=300) == 0 for p in processes)
    stored = json.loads((tmp_path / ".state" / "progress.json").read_text())
    recorded = stored.get("progress", stored)
    expected = {f"ex99{writer}_{i}" for writer in writers for i in range(60)}
    assert expected - set(recorded) == set(), f"{len(expected - set(recorded))} results lost"
    assert set(cli.passed(tmp_path)) == expected  # and the checker believes the file it wrote
