"""Runs that survive interruption (issue 14): every phase resumes where it stopped and ends with
the numbers of an uninterrupted run; finished, damaged, foreign and misconfigured run folders,
and a diverging loss, are refused with one line."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from course_utils import REPO_ROOT, CourseError, runs
from course_utils.lesson import definitions, parse_config
from tests.helpers import lesson_main as main
from course_utils.repro import set_seed
from course_utils.text import bucketed_batches
from tests.helpers import InterruptAt, assert_one_line_error, read_metrics, tensorboard_scalars

DEMO = "lessonXX_demo"


# --- a toy training run with every kind of state a lesson's has --------------------------------


def toy_arrays(seed=0, rows=96, width=7):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, width + 1, rows)
    tokens = np.zeros((rows, width), dtype="int32")
    for i, n in enumerate(lengths):
        tokens[i, :n] = rng.integers(1, 20, n)
    labels = (tokens.sum(axis=1) % 2).astype("float32")
    return tokens, labels


class ToyBatches(keras.utils.PyDataset):
    """Like lesson06's CaptionBatches: a new order every epoch from its own generator."""

    def __init__(self, tokens, labels, seed):
        super().__init__()
        self.tokens, self.labels = tokens, labels
        self.rng, self.order = np.random.default_rng(seed), np.arange(len(labels))
        self.on_epoch_end()

    def __len__(self):
        return len(self.labels) // 16

    def __getitem__(self, i):
        rows = self.order[i * 16 : (i + 1) * 16]
        return self.tokens[rows], self.labels[rows]

    def on_epoch_end(self):
        self.rng.shuffle(self.order)


def toy_data(kind, seed):
    tokens, labels = toy_arrays()
    if kind == "tf.data shuffle":
        return tf.data.Dataset.from_tensor_slices((tokens, labels)).shuffle(96, seed=seed).batch(16)
    if kind == "generator":
        return bucketed_batches((tokens, labels), 16, seed=seed)
    return ToyBatches(tokens, labels, seed)


def toy_model():
    tokens = keras.Input((None,), dtype="int32")
    x = keras.layers.Embedding(20, 4, mask_zero=True)(tokens)
    x = keras.layers.GlobalAveragePooling1D()(x)
    x = keras.layers.Dropout(0.3)(x)  # its random state must be restored too
    model = keras.Model(tokens, keras.layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    return model


class Epochs(keras.callbacks.Callback):
    """Records which epochs this fit trained."""

    def __init__(self):
        super().__init__()
        self.trained = []

    def on_epoch_begin(self, epoch, logs=None):
        self.trained.append(epoch)


def train(folder, kind="tf.data shuffle", interrupt_at=(None, None), phases=("first", "second"), epochs=4):
    """What a lesson does in a fresh process: seed, build, train each phase on the same batches (as
    lesson05 does); Ctrl-C at ``interrupt_at`` (phase, epoch)."""
    set_seed(3)
    run = runs.Run.start(DEMO, run_dir=folder)
    data = toy_data(kind, seed=3)
    results = {}
    for phase in phases:
        set_seed(3)
        model = toy_model()
        counted = Epochs()
        callbacks = [
            keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1),
            keras.callbacks.EarlyStopping(monitor="loss", patience=2, restore_best_weights=True),
            counted,
        ]
        if interrupt_at[0] == phase:
            callbacks.append(InterruptAt(interrupt_at[1]))
        history = run.fit(model, data, epochs=epochs, callbacks=callbacks, phase=phase, histograms=False, verbose=0)
        results[phase] = {
            "weights": model.get_weights(),
            "history": {k: v for k, v in history.history.items() if k != "epoch_time_s"},
            "epoch": history.epoch,
            "trained": counted.trained,
            "after": np.random.random(),  # what the lesson draws next
        }
    return run, results


def assert_same(results, expected):
    for phase, got in results.items():
        want = expected[phase]
        assert got["history"] == want["history"], phase
        assert got["epoch"] == want["epoch"], phase
        for a, b in zip(got["weights"], want["weights"], strict=True):
            np.testing.assert_array_equal(a, b, err_msg=phase)
        assert got["after"] == want["after"], phase


@pytest.mark.parametrize("kind", ["tf.data shuffle", "generator", "PyDataset"])
def test_an_interrupted_phase_ends_with_the_numbers_of_an_uninterrupted_run(tmp_path, kind):
    _, expected = train(tmp_path / "whole", kind)
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path / "cut", kind, interrupt_at=("second", 2))
    run, resumed = train(tmp_path / "cut", kind)
    assert run.resumed and run.sessions == 2
    assert resumed["first"]["trained"] == [], "a phase whose training had finished is not trained again"
    assert resumed["second"]["trained"] == [2, 3], "the interrupted phase continues after its last finished epoch"
    assert_same(resumed, expected)
    assert len(resumed["second"]["history"]["loss"]) == 4, "the history covers every epoch, before and after"
    scalars = tensorboard_scalars(run.log_dir)
    assert sorted(scalars["second/train/epoch_loss"]) == [0, 1, 2, 3], "one point per epoch, no run mixed in"
    run.finish()
    assert not (run.path / "backup").exists()


def test_an_interruption_after_training_trains_nothing_again(tmp_path):
    _, expected = train(tmp_path / "whole")
    train(tmp_path / "cut")  # killed after training, e.g. while evaluating: run.finish() never came
    run, resumed = train(tmp_path / "cut")
    assert resumed["first"]["trained"] == resumed["second"]["trained"] == []
    assert_same(resumed, expected)
    assert run.sessions == 2


class InterruptAtTheEnd(keras.callbacks.Callback):
    """Ctrl-C when training ends, after early stopping has decided but before the backup says so."""

    def on_train_end(self, logs=None):
        raise KeyboardInterrupt


def test_a_run_stopped_early_stays_stopped_and_keeps_its_best_weights(tmp_path):
    def stopping(folder, interrupt=False):
        set_seed(3)
        run = runs.Run.start(DEMO, run_dir=folder)
        model, data = toy_model(), toy_data("tf.data shuffle", 3)
        # No epoch beats the first by 10: it stops after the second and goes back to the first's weights.
        stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, min_delta=10.0, restore_best_weights=True)
        counted = Epochs()
        callbacks = [stop, counted, InterruptAtTheEnd()] if interrupt else [stop, counted]
        history = run.fit(model, data, epochs=6, callbacks=callbacks, verbose=0)
        timeless = {k: v for k, v in history.history.items() if k != "epoch_time_s"}
        return timeless, model.get_weights(), counted.trained

    history, weights, trained = stopping(tmp_path / "whole")
    assert trained == [0, 1] and len(history["loss"]) == 2
    with pytest.raises(KeyboardInterrupt):
        stopping(tmp_path / "cut", interrupt=True)
    again, again_weights, trained = stopping(tmp_path / "cut")
    assert trained == [], "it had stopped: no third epoch"
    assert again == history
    for a, b in zip(again_weights, weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_hand_written_loop_resumes_with_run_epochs(tmp_path):
    def loop(folder, stop_after=None, epochs=4):
        run = runs.Run.start(DEMO, run_dir=folder)
        rng = np.random.default_rng(0)
        params = {"w": rng.normal(size=(3, 2)), "b": np.zeros(2)}
        history = {"loss": []}
        for epoch in run.epochs("numpy", epochs, params=params, rng=rng, history=history):
            params["w"] += rng.normal(size=(3, 2))  # in place, as an optimiser does
            params["b"] = params["b"] + 1.0  # replaced, as an optimiser's moments are
            history["loss"].append(float(np.abs(params["w"]).sum()))
            if epoch == stop_after:
                raise KeyboardInterrupt
        return params, history

    expected = loop(tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        loop(tmp_path / "cut", stop_after=2)  # epochs 1 and 2 finished
    params, history = loop(tmp_path / "cut")
    np.testing.assert_array_equal(params["w"], expected[0]["w"])
    np.testing.assert_array_equal(params["b"], expected[0]["b"])
    assert history == expected[1] and len(history["loss"]) == 4


# --- what cannot be resumed is said in one line ----------------------------------------------------


def test_a_diverging_loss_stops_training_with_one_line(tmp_path):
    set_seed(0)
    run = runs.Run.start(DEMO, run_dir=tmp_path / "r")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(1e12), loss="mse")
    x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32") * 100
    counted = Epochs()
    with pytest.raises(
        CourseError, match=r"training diverged: the loss became (nan|inf|\S+ \(over \S+\)) in epoch 1"
    ) as err:
        run.fit(model, x, y=x[:, :1] * 1000, epochs=20, batch_size=8, callbacks=[counted], verbose=0)
    assert len(str(err.value).splitlines()) == 1 and "smaller learning rate" in str(err.value)
    assert counted.trained == [0], "it stops in the epoch where the loss goes bad"


def interrupted_toy_run(folder):
    with pytest.raises(KeyboardInterrupt):
        train(folder, phases=("first",), interrupt_at=("first", 1))
    return folder / "backup" / "first"


def test_a_torn_backup_is_reported_in_one_line(tmp_path):
    backup = interrupted_toy_run(tmp_path / "r")
    for file in backup.iterdir():
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])  # killed while writing, on another writer
    with pytest.raises(CourseError, match="is damaged .*delete that folder to train from the start") as err:
        train(tmp_path / "r", phases=("first",))
    assert len(str(err.value).splitlines()) == 1


def test_a_backup_of_another_model_is_reported_in_one_line(tmp_path):
    backup = interrupted_toy_run(tmp_path / "r")
    state = json.loads((backup / "state.json").read_text())
    arrays = dict(np.load(backup / state["arrays"]))
    arrays["model.0"] = np.zeros((21, 4), dtype="float32")  # an embedding of another vocabulary
    np.savez(backup / state["arrays"], **arrays)
    with pytest.raises(CourseError, match=r"does not fit this model \(.*\(20, 4\) here, \(21, 4\) there\)"):
        train(tmp_path / "r", phases=("first",))


# --- the run folder, through a lesson's command line -----------------------------------------------

FAST = "lesson01_rnn_from_scratch"  # it opens its run folder before reading any data


def run_fast(argv):
    return main(FAST, argv)


def folder_of_a_run(tmp_path, argv):
    """A run folder as an interrupted lesson01 leaves it, with the settings of ``argv``."""
    config = parse_config(definitions(FAST).Config, "test", [*argv, "--run-dir", str(tmp_path / "run")])
    runs.Run.start(FAST, config)
    return tmp_path / "run"


def test_a_finished_run_is_not_trained_again_or_overwritten(tmp_path, capsys):
    folder = folder_of_a_run(tmp_path, ["--quick"])
    (folder / "metrics.json").write_text('{"finished": "yes"}\n')
    (folder / "model.keras").write_bytes(b"the learner's model")
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    err = assert_one_line_error(run_fast, ["--quick", "--run-dir", str(folder)], capsys, "holds a finished run")
    assert "leave out --run-dir for a new run" in err
    assert {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert not (folder / "logs").exists()


def test_resuming_with_other_settings_says_which(tmp_path, capsys):
    folder = folder_of_a_run(tmp_path, ["--quick", "--hidden", "96"])
    err = assert_one_line_error(
        run_fast, ["--quick", "--hidden", "64", "--run-dir", str(folder)], capsys, "was started with other settings"
    )
    assert "--hidden 96 (now 64)" in err and "run it with its own settings" in err


@pytest.mark.parametrize(
    "where, message",
    [
        ("a file", "is a file, not a folder"),
        ("under a file", "cannot use"),
        ("", "the run folder (--run-dir) is empty"),
        ("a folder of the learner's", "is not a run folder"),
        ("another lesson's run", "belongs to lesson02_gates"),
        ("an old backup", "earlier version of the course"),
    ],
)
def test_a_run_folder_that_cannot_be_used_is_one_line(where, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "folder"
    if where == "a file":
        folder.write_text("notes")
    elif where == "under a file":
        (tmp_path / "notes").write_text("notes")
        folder = tmp_path / "notes" / "run"
    elif where == "":
        folder = ""
    elif where == "a folder of the learner's":
        folder.mkdir()
        (folder / "essay.txt").write_text("mine")
    elif where == "another lesson's run":
        folder.mkdir()
        (folder / "lesson.txt").write_text("lesson02_gates\n")
    else:
        (folder / "backup").mkdir(parents=True)
        (folder / "lesson.txt").write_text(FAST + "\n")
        (folder / "backup" / "latest.weights.h5").write_bytes(b"\x89HDF")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    assert_one_line_error(run_fast, ["--quick", "--run-dir", str(folder)], capsys, message)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before, "nothing written"


# --- a real lesson, killed and resumed ------------------------------------------------------------

KILLED = "lesson02_gates"  # three models: the case of a finished SimpleRNN trained again
SMALL = [
    "--quick",
    "--train-size",
    "600",
    "--length",
    "12",
    "--epochs",
    "3",
    "--grad-length",
    "12",
    "--clip-steps",
    "5",
]


def stop_when(folder, env, log, ready, sig, timeout=300):
    """Start the lesson on ``folder``; send ``sig`` as soon as ``ready()``; its exit status and output."""
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"lessons.{KILLED}", *SMALL, "--run-dir", str(folder)],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + timeout
        while not ready():
            assert proc.poll() is None, f"the lesson ended before the moment to stop it:\n{log.read_text()[-3000:]}"
            if time.time() > deadline:
                proc.kill()
                pytest.fail("the moment to stop the lesson never came")
            time.sleep(0.02)
        proc.send_signal(sig)
        proc.wait(timeout=120)
    return proc.returncode, log.read_text()


def finish(folder, env):
    done = subprocess.run(
        [sys.executable, "-m", f"lessons.{KILLED}", *SMALL, "--run-dir", str(folder)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def state_of(folder, phase):
    path = folder / "backup" / phase / "state.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def test_a_lesson_killed_while_training_and_while_evaluating_ends_as_if_never_stopped(tmp_path):
    env = {**os.environ, "COURSE_RUNS_DIR": str(tmp_path / "runs")}
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    finish(whole, env)

    # Ctrl-C while the LSTM trains, after its first epoch: the SimpleRNN's training had finished.
    lstm_started = lambda: (state_of(cut, "lstm") or {}).get("epoch", 0) >= 1  # noqa: E731
    code, out = stop_when(cut, env, tmp_path / "first.log", lstm_started, signal.SIGINT)
    assert code == 130 and "to resume" in out
    # SIGKILL after all training, while the lesson measures the trained models' gradients.
    trained = lambda: (cut / "model_gru.keras").exists()  # noqa: E731
    code, out = stop_when(cut, env, tmp_path / "second.log", trained, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert "Restored rnn from its backup: its training had finished" in out
    assert re.search(r"Restored lstm from its backup: continuing after epoch [12] of 3", out)
    assert not (cut / "metrics.json").exists()

    out = finish(cut, env)
    for cell in ("rnn", "lstm", "gru"):
        assert f"Restored {cell} from its backup: its training had finished" in out
    assert "Epoch 1/3" not in out, "no model trained again"
    expected, got = read_metrics(whole), read_metrics(cut)
    for key in ("rnn_val_mse", "lstm_val_mse", "gru_val_mse", "gradient_norm_trained", "clipping"):
        assert got[key] == expected[key], key
    assert got["sessions"] == 3 and not (cut / "backup").exists()
    scalars = tensorboard_scalars(cut / "logs")
    for cell in ("rnn", "lstm", "gru"):
        assert sorted(set(scalars[f"{cell}/train/epoch_loss"])) == [0, 1, 2], cell
