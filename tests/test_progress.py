"""Progress a learner sees (course_utils/progress.py): a bar with the time left on a terminal and in a notebook,
nothing in a log; Keras' own progress bar for training where someone watches it, one line per epoch elsewhere."""

import io
import os
import pty
import subprocess
import sys
import textwrap
import time
import warnings

import pytest

from course_utils import REPO_ROOT, progress


@pytest.fixture(autouse=True)
def bars_not_turned_off(monkeypatch):
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)


class Terminal(io.StringIO):
    """Standard output as a terminal: isatty() is true."""

    def isatty(self):
        return True


def run_loop(n=5, **kwargs):
    return [item for item in progress.progress(range(n), what="counting", delay=0, **kwargs)]


def test_nothing_is_written_when_stdout_is_neither_a_terminal_nor_a_kernel(capsys):
    assert progress.where() is None and not progress.live()  # pytest captures stdout: a log, as far as it knows
    assert run_loop(5) == list(range(5)), "the loop still runs every item"
    with progress.progress(total=1000, what="bytes", unit="B", unit_scale=True, delay=0) as bar:
        for _ in range(10):
            bar.update(100)
    out, err = capsys.readouterr()
    assert out == "" and err == ""


def test_a_terminal_gets_a_bar_with_the_time_left(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert progress.where() == "terminal"
    assert run_loop(5) == list(range(5))
    shown = terminal.getvalue()
    assert "counting" in shown and "100%" in shown and "5/5" in shown, shown
    assert "<00:00" in shown, "the estimate of the time left"


def test_a_quick_loop_shows_no_bar_even_on_a_terminal(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert list(progress.progress(range(3), what="quick")) == [0, 1, 2]  # under the default delay
    assert terminal.getvalue() == ""


def test_a_kernel_without_ipywidgets_gets_the_text_bar_quietly(monkeypatch):
    """tqdm.auto would warn "IProgress not found" there; the course's bar falls back to text, without a warning."""
    out = io.StringIO()  # a kernel's stdout is not a TTY
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    monkeypatch.setattr(progress, "_widgets", lambda: False)
    assert progress.where() == "notebook" and progress.live()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run_loop(4) == list(range(4))
    assert "counting" in out.getvalue() and "4/4" in out.getvalue()


def test_keras_shows_its_progress_bar_where_someone_watches(monkeypatch):
    pytest.importorskip("keras")
    from course_utils import runs

    assert runs.fit_verbosity() == 2, "a log gets one line per epoch"
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert runs.fit_verbosity() == "auto", "a terminal gets Keras' live bar"
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    assert runs.fit_verbosity() == "auto", "so does a notebook"


def test_course_progress_0_turns_every_bar_off(monkeypatch, capsys):
    """For a notebook executed to be read later (the rendered site): no bars, one line per epoch."""
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    monkeypatch.setattr(progress, "in_kernel", lambda: True)
    assert progress.where() is None and run_loop(3) == [0, 1, 2]
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(sys, "stdout", Terminal())
    assert not progress.live()


def train_printing_samples(tmp_path, out) -> str:
    """Two epochs through Run.fit with a callback that prints after each (as lessons 05 and 06 print samples)."""
    keras = pytest.importorskip("keras")
    import numpy as np

    from course_utils import runs

    class Samples(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(f"  sample after epoch {epoch + 1}")

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 4))
    saved = sys.stdout
    sys.stdout = out
    try:
        run = runs.Run.start("lessonXX_demo", run_dir=tmp_path / "run")
        run.fit(model, x, y=np.zeros((64, 1)), epochs=2, batch_size=8, callbacks=[Samples()], histograms=False)
    finally:
        sys.stdout = saved
    assert sys.stdout is saved
    return out.getvalue()


def test_what_callbacks_print_under_the_live_bar_starts_on_its_own_line(tmp_path):
    shown = train_printing_samples(tmp_path, Terminal())
    assert "8/8" in shown and ("\b" in shown or "\r" in shown), "Keras' live bar"
    for epoch in (1, 2):
        assert f"\n  sample after epoch {epoch}\n" in shown, shown
        before = shown.split(f"  sample after epoch {epoch}")[0]
        assert before.endswith("\n"), "not glued to the end of the bar"


def test_a_log_gets_one_line_per_epoch_and_the_samples_without_blank_lines(tmp_path):
    logged = train_printing_samples(tmp_path, io.StringIO())
    assert "\r" not in logged and "\b" not in logged
    assert "Epoch 1/2\n  sample after epoch 1\n8/8 - " in logged, logged


def test_another_librarys_progress_output_is_dropped_from_logs_only(monkeypatch, capsys):
    with progress.quiet_in_logs():
        print("Downloading data from https://example.org/weights.h5\n 1/10 [==>...]")
    assert capsys.readouterr().out == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    with progress.quiet_in_logs():
        print("1/10 [==>...]")
    assert "1/10" in terminal.getvalue()


LOOP = textwrap.dedent(
    """
    import time
    from course_utils.progress import progress
    for _ in progress(range(3), what="counting", delay=0):
        time.sleep(0.05)
    print("done")
    """
)


def test_a_real_terminal_sees_the_bar_and_a_pipe_does_not():
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    piped = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True, env=env, timeout=60)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == "done\n" and piped.stderr == "", "a log gets nothing but the program's own lines"
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-c", LOOP], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    shown = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    child.wait(timeout=60)
    os.close(leader)
    text = shown.decode(errors="replace")
    assert "counting" in text and "3/3" in text and "100%" in text and "done" in text, text


def test_a_notebook_kernel_draws_the_bar_under_its_cell(tmp_path):
    """A real kernel (as JupyterLab and VS Code start one): the bar is drawn, with no warning about widgets."""
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(LOOP)])
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(REPO_ROOT)}}
    ).execute()
    outputs = notebook.cells[0].outputs
    streams = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert "IProgress" not in streams and "TqdmWarning" not in streams, streams
    assert widgets or ("counting" in streams and "3/3" in streams), outputs
    assert "done" in streams
