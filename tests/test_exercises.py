"""The exercises: every stub fails, every solution passes, plausible wrong answers are rejected with a
message that names the problem, and the checker's commands (check, hint, watch, reset) behave.

Nothing here reads or writes the learner's own files in exercises/: checks run against stubs and
solutions generated from exercises/source/ into a temporary folder.
"""

import ast
import re
import io
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from course_utils import REPO_ROOT, CourseError
from course_utils.lesson import definitions
from tests.conftest import data_required
from exercises import LESSONS, PACKAGE_DIR, SOURCE_DIR, all_exercises
from exercises import __main__ as cli
from exercises.runner import ERROR, FAILED, NOT_DONE, PASSED, run_check

EXERCISES = all_exercises()


def stub_file(exercise, folder):
    """The exercise's stub, generated from its source into ``folder`` (as a learner first gets it)."""
    path = exercise.file_in(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(exercise.stub_text())
    return path


def solution_file(exercise, folder):
    path = exercise.file_in(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(exercise.solution_text())
    return path


BY_ID = {e.id: e for e in EXERCISES}
IDS = [e.name for e in EXERCISES]


def test_three_or_more_exercises_for_each_lesson_and_two_quizzes():
    lessons = [e.lesson for e in EXERCISES if not e.is_quiz]
    for lesson in (1, 2, 3, 4, 5, 6, 7, 8):
        assert 3 <= lessons.count(lesson) <= 5, f"lesson {lesson}"
    assert [(e.id, e.lesson) for e in EXERCISES if e.is_quiz] == [("quiz1", 3), ("quiz2", 7)]
    assert len({e.id for e in EXERCISES}) == len(EXERCISES)
    order = [e.id for e in EXERCISES]
    assert order.index("quiz1") == order.index("ex03c") + 1  # each quiz right after its lesson
    assert order.index("quiz2") == order.index("ex07c") + 1 and order[-1] == "ex09b"
    assert set(LESSONS) == set(lessons), "every lesson with exercises has a heading in exercises.LESSONS"


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_untouched_stub_is_not_done(exercise, tmp_path):
    outcome = run_check(exercise, stub_file(exercise, tmp_path))
    assert outcome.status == NOT_DONE, outcome.message
    assert "TODO" in outcome.message and exercise.name in outcome.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_reference_solution_passes(exercise, tmp_path):
    outcome = run_check(exercise, solution_file(exercise, tmp_path))
    if re.search(r"run `make lesson\d\d` first", outcome.message) and not data_required():
        pytest.skip(f"{exercise.id} checks on a dataset this machine does not have: {outcome.message}")
    assert outcome.status == PASSED, outcome.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_stub_and_solution_have_the_same_interface_docs_and_hints(exercise):
    def interface(text):
        tree = ast.parse(text)
        functions = {
            node.name: ([a.arg for a in node.args.args], ast.get_docstring(node))
            for node in tree.body
            if isinstance(node, ast.FunctionDef)
        }
        doc = ast.get_docstring(tree).split("\n", 1)[1]  # the first line differs ("Exercise" / "Reference solution")
        return functions, doc

    stub_text = exercise.stub_text()
    assert interface(stub_text) == interface(exercise.solution_text())
    assert "TODO" in stub_text and f"make check EX={exercise.id}" in stub_text
    assert len(exercise.hints) == 2 and len(exercise.hints[1]) > len(exercise.hints[0]) / 2
    imports = {n.names[0].name.split(".")[0] for n in ast.walk(ast.parse(stub_text)) if isinstance(n, ast.Import)}
    assert imports <= {"numpy", "keras", "course_utils", "re"}, imports


@pytest.mark.parametrize("exercise", EXERCISES, ids=IDS)
def test_one_source_gives_the_stub_and_the_solution(exercise):
    source = exercise.source.read_text()
    stub, solution = exercise.stub_text(), exercise.solution_text()
    assert "# BEGIN SOLUTION" not in stub + solution and "# END SOLUTION" not in stub + solution
    assert "# TODO:" not in solution and "NotImplementedError" not in solution
    assert solution.startswith('"""Reference solution to ') and stub.startswith(source.splitlines()[0])
    stub_lines = set(code_lines(stub))
    for region in source.split("# BEGIN SOLUTION")[1:]:  # no line of the answer leaks into the stub
        for line in region.split("# END SOLUTION")[0].splitlines():
            assert len(line.strip()) < 12 or line not in stub_lines, line
    assert exercise.solution_functions()  # make solution has something to show


def code_lines(text):
    """The lines of a module that are not in a docstring (the docstrings may show the formula)."""
    in_docstring = set()
    for node in ast.walk(ast.parse(text)):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            in_docstring.update(range(body[0].lineno, body[0].end_lineno + 1))
    return [line for number, line in enumerate(text.splitlines(), 1) if number not in in_docstring]


def test_the_learners_files_are_not_tracked_and_git_ignores_them():
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files", "exercises"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    learner_names = {e.file_in(PACKAGE_DIR).relative_to(REPO_ROOT).as_posix() for e in EXERCISES}
    assert not learner_names & set(tracked.split())
    ignored = subprocess.run(
        ["git", "check-ignore", *learner_names, "exercises/solutions/ex01a_rnn_step.py"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert len(ignored) == len(EXERCISES) + 1


def test_solution_is_offered_after_a_pass_and_asked_for_before(tmp_path, capsys, monkeypatch):
    exercise = BY_ID["ex05a"]
    stub_file(exercise, tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal: not passed yet, so it needs --yes
    assert cli.main(["solution", "ex05a", "--dir", str(tmp_path)]) == 2
    assert "needs a confirmation" in capsys.readouterr().err and not (tmp_path / "solutions").exists()
    solution_file(exercise, tmp_path)
    assert cli.main(["check", "ex05a", "--dir", str(tmp_path)]) == 0
    assert "make solution EX=ex05a" in capsys.readouterr().out
    assert cli.main(["solution", "ex05a", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    written = tmp_path / "solutions" / exercise.solution.name
    assert written.read_text() == exercise.solution_text() and "def add_start_end" in out and "diff -u" in out
    written.write_text("# my notes on the reference\n")  # edited: never overwritten
    assert cli.main(["solution", "ex05a", "--dir", str(tmp_path)]) == 0
    assert "left as it is" in capsys.readouterr().out and written.read_text() == "# my notes on the reference\n"


# ------------------------------------------------------------------ wrong answers are caught
# (exercise id, text in the solution, what a plausible mistake writes instead, status, phrase in the verdict)
WRONG = [
    ("ex01a", "W_xh @ x + b_h)", "W_xh @ x)", FAILED, "without the bias b_h"),
    ("ex01a", "W_hh @ h_prev", "W_hh.T @ h_prev", FAILED, "W_hh transposed"),
    ("ex01a", "np.tanh(W_hh @ h_prev + W_xh @ x + b_h)", "np.tanh(W_hh @ h_prev + x @ W_xh + b_h)", ERROR, "line 25"),
    ("ex01b", "    states = []\n", "    states = [h]\n", FAILED, "including the initial state h0"),
    ("ex01b", "return np.stack(states)", "return states[-1]", FAILED, "only the last state"),
    (
        "ex01b",
        "h = rnn_step(x, h, W_xh, W_hh, b_h)\n        states.append(h)",
        "states.append(rnn_step(x, h, W_xh, W_hh, b_h))",
        FAILED,
        "without carrying the state",
    ),
    ("ex01c", "da = dh * (1 - h**2)", "da = dh", FAILED, "without the tanh derivative"),
    ("ex01c", '"h_prev": W_hh.T @ da', '"h_prev": W_hh @ da', FAILED, "W_hh instead of W_hh.T"),
    ("ex01c", '"W_xh": np.outer(da, x)', '"W_xh": np.outer(x, da)', FAILED, "wrong shape: expected (4, 3), got (3, 4)"),
    ("ex02a", "z_i, z_f, z_g, z_o =", "z_f, z_i, z_g, z_o =", FAILED, "input gate i and the forget gate f swapped"),
    ("ex02a", "z_i, z_f, z_g, z_o =", "z_i, z_f, z_o, z_g =", FAILED, "order i, f, o, g"),
    ("ex02a", "h_prev @ recurrent_kernel + bias", "h_prev @ recurrent_kernel", FAILED, "without the bias"),
    ("ex02a", "h = o * np.tanh(c)", "h = o * c", FAILED, "tanh of the new cell is missing"),
    ("ex02b", "z * h_prev + (1 - z) * candidate", "(1 - z) * h_prev + z * candidate", FAILED, "z and 1 - z swapped"),
    ("ex02b", "h_prev @ recurrent_kernel + bias[1]", "h_prev @ recurrent_kernel", FAILED, "without the recurrent bias"),
    (
        "ex02b",
        "z = sigmoid(x_z + h_z)\n    r = sigmoid(x_r + h_r)",
        "r = sigmoid(x_z + h_z)\n    z = sigmoid(x_r + h_r)",
        FAILED,
        "update gate z and the reset gate r swapped",
    ),
    (
        "ex02c",
        "return [g * scale for g in grads], global_norm",
        "return [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-12)) for g in grads], global_norm",
        FAILED,
        "each array by its own norm",
    ),
    ("ex02c", "if global_norm > max_norm else 1.0", "", FAILED, "also when the norm is already below"),
    (
        "ex02c",
        "return [g * scale for g in grads], global_norm",
        "for g in grads:\n        g *= scale\n    return grads, global_norm",
        FAILED,
        "changed the array grads[0]",
    ),
    ("ex03a", "mask_zero=True", "mask_zero=False", FAILED, "mask_zero=True"),
    ("ex03a", 'Dense(1, activation="sigmoid")', "Dense(1)", FAILED, "probabilities in [0, 1]"),
    ("ex03a", "GRU(units)", "GRU(units, return_sequences=True)", FAILED, "no return_sequences"),
    ("ex03a", "Embedding(vocab_size,", "Embedding(vocab_size - 1,", FAILED, "calling your model"),
    ("ex03b", "index.get(word, 1)", "index.get(word, 0)", FAILED, "[UNK]"),
    (
        "ex03b",
        "return ids + [0] * (length - len(ids))",
        "return [0] * (length - len(ids)) + ids",
        FAILED,
        "padding at the front",
    ),
    ("ex03b", "[:length]", "[-length:]", FAILED, "the last `length` words"),
    ("ex04a", "real = y_true != pad_id", "real = np.ones_like(y_true, dtype=bool)", FAILED, "the mask is ignored"),
    ("ex04a", "/ np.sum(real))", "/ y_true.size)", FAILED, "every position"),
    ("ex04a", "real = y_true != pad_id", "real = y_true != 0", FAILED, "instead of the pad_id argument"),
    (
        "ex04b",
        "spans.append((current, start, i))",
        "spans.append((current, start, i - 1))",
        FAILED,
        "inclusive end indices",
    ),
    ("ex04b", 'enumerate(list(tags) + ["O"])', "enumerate(tags)", FAILED, "still open at the end"),
    (
        "ex04b",
        'continues = prefix == "I" and kind == current',
        'continues = prefix == "I" and current is not None',
        FAILED,
        "I- of another type starts a new entity",
    ),
    ("ex04c", 'if prefix == "I" and kind != previous_type:', 'if prefix == "I":', FAILED, "every I- into B-"),
    (
        "ex04c",
        'if prefix == "I" and kind != previous_type:',
        'if prefix == "I" and previous_type == "":',
        FAILED,
        "only after O or at the start",
    ),
    (
        "ex05a",
        "return targets[:, :-1], targets[:, 1:]",
        "return targets[:, 1:], targets[:, :-1]",
        FAILED,
        "shifting the wrong way",
    ),
    (
        "ex05a",
        "return targets[:, :-1], targets[:, 1:]",
        "return targets[:, :-1], targets[:, :-1]",
        FAILED,
        "without the shift",
    ),
    ("ex05a", "return targets[:, :-1], targets[:, 1:]", "return targets[:, :-2], targets[:, 2:]", FAILED, "wrong"),
    (
        "ex05a",
        "    return targets[:, :-1], targets[:, 1:]\n",
        "    inputs = np.zeros((len(targets), targets.shape[1] - 1), dtype=int)\n"
        "    for row, real in enumerate(targets):\n"
        "        real = real[real != 0][:-1]  # the row's words without its last one, [end]\n"
        "        inputs[row, : len(real)] = real\n"
        "    return inputs, targets[:, 1:]\n",
        FAILED,
        "instead of cutting a column",
    ),
    (
        "ex05a",
        "targets[row, : len(ids) + 2] = [start_id, *ids, end_id]",
        "targets[row, width - len(ids) - 2 :] = [start_id, *ids, end_id]",
        FAILED,
        "padding at the front",
    ),
    ("ex05a", "[start_id, *ids, end_id]", "[start_id, *ids, start_id]", FAILED, "add_start_end("),
    (
        "ex05a",
        "    width = max(len(ids) for ids in sentences) + 2\n"
        "    targets = np.zeros((len(sentences), width), dtype=np.int64)\n"
        "    for row, ids in enumerate(sentences):\n"
        "        targets[row, : len(ids) + 2] = [start_id, *ids, end_id]\n"
        "    return targets\n",
        "    return [[start_id, *ids, end_id] for ids in sentences]\n",
        FAILED,
        "rows of different lengths",
    ),
    (
        "ex05b",
        "log_probs, state = step(tokens, state)",
        "log_probs, _ = step(tokens, state)",
        FAILED,
        "without carrying the state",
    ),
    (
        "ex05b",
        "log_probs, state = step(tokens, state)",
        "log_probs, state = step(np.full(batch_size, start_id), state)",
        FAILED,
        "without feeding each new word back",
    ),
    (
        "ex05b",
        "                finished[row] = True\n",
        "                finished[row] = True\n                written[row].append(int(token))\n",
        FAILED,
        "keeping the [end] token",
    ),
    ("ex05b", "            if finished[row]:\n                continue\n", "", FAILED, "going on after [end]"),
    ("ex05b", "np.argmax(log_probs, axis=-1)", "np.argmax(log_probs, axis=0)", ERROR, "in greedy_decode"),
    (
        "ex05b",
        "    for _ in range(max_length):\n",
        "    for _ in range(max_length + 1):\n",
        FAILED,
        "max_length + 1 steps",
    ),
    (
        "ex05c",
        "candidates = (scores[:, None] + log_probs).reshape(-1)",
        "candidates = log_probs.reshape(-1)",
        FAILED,
        "without adding each beam's score",
    ),
    (
        "ex05c",
        "    candidates = (scores[:, None] + log_probs).reshape(-1)\n"
        '    best = np.argsort(-candidates, kind="stable")[:k]\n'
        "    return best // vocab, best % vocab, candidates[best]\n",
        "    candidates = scores[:, None] + log_probs\n"
        "    tokens = candidates.argmax(axis=1)  # each beam's own best word\n"
        "    return np.arange(k), tokens, candidates[np.arange(k), tokens]\n",
        FAILED,
        "best word of each beam instead of the best k",
    ),
    (
        "ex05c",
        "    log_probs[finished] = -np.inf\n    log_probs[finished, end_id] = 0.0\n",
        "",
        FAILED,
        "letting a finished beam go on writing",
    ),
    ("ex05c", "best // vocab, best % vocab", "best // k, best % k", FAILED, "dividing the flat index by k"),
    (
        "ex05c",
        "log_probs = np.array(log_probs, dtype=np.float64)",
        "log_probs = np.asarray(log_probs, dtype=np.float64)",
        FAILED,
        "changed the log_probs array",
    ),
    ("ex06a", "            break", "            continue", FAILED, "the caption stops at the first [end]"),
    ("ex06a", "if i not in (0, start_id):", "if i != 0:", FAILED, "keeping the [start] token"),
    ("ex06a", "if i not in (0, start_id):", "if i not in (0, 1, start_id):", FAILED, "dropping [unk]"),
    ("ex06a", "if i not in (0, start_id):", "if i != start_id:", FAILED, "joining the padding too"),
    ("ex06a", 'return " ".join(caption)', "return caption", FAILED, "should return a string"),
    ("ex06b", "range(len(words) - n + 1)", "range(len(words) - n)", FAILED, "leaving out the last n-gram"),
    ("ex06b", "[tuple(words[i : i + n])", '[" ".join(words[i : i + n])', FAILED, "strings instead of tuples"),
    (
        "ex06b",
        "matches = sum(min(count, most[gram]) for gram, count in counts.items())",
        "matches = sum(count for gram, count in counts.items() if most[gram])",
        FAILED,
        "without clipping",
    ),
    ("ex06b", "most[gram] = max(most[gram], count)", "most[gram] += count", FAILED, "added up over all the references"),
    ("ex06b", "for reference in references:", "for reference in references[:1]:", FAILED, "first reference only"),
    (
        "ex06b",
        "    matches = sum(min(count, most[gram]) for gram, count in counts.items())\n"
        "    return matches, sum(counts.values())\n",
        "    matches = sum(min(1, most[gram]) for gram in counts)\n    return matches, len(counts)\n",
        FAILED,
        "each different n-gram only once",
    ),
    (
        "ex07c",
        "        new_ids.append(token)\n        logits, state = step(token, state)\n",
        "        new_ids.append(token)\n",
        FAILED,
        "without feeding the new tokens back",
    ),
    (
        "ex07c",
        "for token in prime_ids:",
        "for token in list(prime_ids) + [prime_ids[-1]]:",
        FAILED,
        "reading the last prime token twice",
    ),
    ("ex07c", "    return new_ids\n", "    return list(prime_ids) + new_ids\n", FAILED, "returning the prime as well"),
    (
        "ex07c",
        "        logits, state = step(token, state)\n    return",
        "        logits, _ = step(token, state)\n    return",
        FAILED,
        "generate(step, state=",
    ),
    (
        "ex07a",
        "scaled = logits / temperature",
        "scaled = logits * temperature",
        FAILED,
        "multiplying by the temperature",
    ),
    ("ex07a", "e = np.exp(scaled - scaled.max())", "e = np.exp(scaled)", FAILED, "NaN or infinity"),
    (
        "ex07a",
        "int(rng.choice(len(probs), p=probs))",
        "int(np.random.choice(len(probs), p=probs))",
        FAILED,
        "same seeded rng",
    ),
    ("ex07b", "[:k]", "[:k + 1]", FAILED, "off by one"),
    ("ex07b", "return e / e.sum()", "return np.exp(masked) / np.exp(logits).sum()", FAILED, "without renormalising"),
    (
        "ex07b",
        "    masked = np.full_like(logits, -np.inf)\n    masked[keep] = logits[keep]\n",
        "    masked = logits  # sets -inf in the caller's array\n    drop = np.ones(len(logits), bool)\n"
        "    drop[keep] = False\n    masked[drop] = -np.inf\n",
        FAILED,
        "changed the logits array",
    ),
    (
        "ex08a",
        "labels = targets[starts + window - 1 + horizon]",
        "labels = targets[starts + window - 1]",
        FAILED,
        "by labelling pair i with its window's own last row",
    ),
    (
        "ex08a",
        "    n = max(len(inputs) - window - horizon + 1, 0)\n",
        "    n = max(len(inputs) - window - horizon + 2, 0)\n",
        ERROR,
        "IndexError",
    ),
    (
        "ex08a",
        "windows = inputs[starts[:, None] + np.arange(window)]",
        "windows = inputs[starts[:, None] + np.arange(window - 1)]",
        FAILED,
        "with windows of window - 1 rows",
    ),
    (
        "ex08a",
        "windows = inputs[starts[:, None] + np.arange(window)]",
        "windows = np.stack([inputs[i : i + window] for i in starts], axis=1) if n else inputs[:0, None]",
        FAILED,
        "by stacking the windows along axis 1",
    ),
    (
        "ex08a",
        "windows = inputs[starts[:, None] + np.arange(window)]",
        "windows = targets[starts[:, None] + np.arange(window)]",
        FAILED,
        "by cutting the windows from `targets` instead of `inputs`",
    ),
    ("ex08a", "    return windows, labels\n", "    return labels, windows\n", FAILED, "by returning (labels, windows)"),
    (
        "ex08a",
        "    inputs = np.asarray(inputs)\n",
        "",
        ERROR,
        "lists: a single series of 8 floats as a list",
    ),
    (
        "ex08b",
        "    mean = np.nanmean(train, axis=0)\n    std = np.nanstd(train, axis=0)\n",
        "    mean = np.nanmean(train)\n    std = np.nanstd(train)\n",
        FAILED,
        "over the whole training array (no axis)",
    ),
    (
        "ex08b",
        'train = np.asarray(splits["train"], dtype=np.float64)',
        "train = np.nan_to_num(np.asarray(splits['train'], dtype=np.float64))",
        FAILED,
        "by replacing the missing values with 0 before computing the statistics",
    ),
    (
        "ex08b",
        "(np.asarray(rows, dtype=np.float64) - mean) / std",
        "(np.asarray(rows) - mean) / std**2",
        FAILED,
        "variance",
    ),
    (
        "ex08b",
        "(np.asarray(rows, dtype=np.float64) - mean) / std",
        "np.asarray(rows, dtype=np.float64) - mean",
        FAILED,
        "by subtracting the mean without dividing by the std",
    ),
    (
        "ex08b",
        "    return scaled, (mean, std)\n",
        "    return scaled, (std, mean)\n",
        FAILED,
        "by returning (std, mean)",
    ),
    (
        "ex08b",
        "for name, rows in splits.items()}",
        'for name, rows in splits.items() if name != "test"}',
        FAILED,
        "Missing: 'test'",
    ),
    (
        "ex08b",
        "    return scaled, (mean, std)\n",
        "    return [scaled[name] for name in splits], (mean, std)\n",
        FAILED,
        "should return a dict of scaled splits first",
    ),
    (
        "ex08c",
        "    error = keras.ops.expand_dims(y, -1) - y_pred",
        "    error = y_pred - keras.ops.expand_dims(y, -1)",
        FAILED,
        "with the error taken the wrong way round",
    ),
    (
        "ex08c",
        "    terms = keras.ops.sum(weight) * len(quantiles)\n",
        "    terms = keras.ops.sum(weight)\n",
        FAILED,
        "by summing over the quantiles and averaging over the labels only",
    ),
    (
        "ex08c",
        "    loss = keras.ops.maximum(q * error, (q - 1.0) * error)\n",
        "    loss = keras.ops.maximum(q * error, (1.0 - q) * error)\n",
        FAILED,
        "pinball_loss(",
    ),
    (
        "ex08c",
        "    return keras.ops.sum(loss * weight) / keras.ops.maximum(terms, 1.0)\n",
        "    return keras.ops.reshape(keras.ops.sum(loss * weight) / keras.ops.maximum(terms, 1.0), (1,))\n",
        FAILED,
        "wrong shape: expected (), got (1,)",
    ),
    (
        "ex08c",
        "    terms = keras.ops.sum(weight) * len(quantiles)\n",
        "    terms = keras.ops.sum(weight) * len(quantiles)\n    if terms == 0:\n        return 0.0\n",
        FAILED,
        "Python cannot look at their values",
    ),
    (
        "ex08c",
        "    return keras.ops.sum(loss * weight) / keras.ops.maximum(terms, 1.0)\n",
        "    return keras.ops.sum(keras.ops.stop_gradient(loss) * weight) / keras.ops.maximum(terms, 1.0)\n",
        FAILED,
        "does not depend on y_pred through anything Keras can differentiate",
    ),
    (
        "ex08c",
        "    present = keras.ops.logical_not(keras.ops.isnan(y_true))  # (batch, horizons)\n",
        "    import tensorflow as tf\n    present = tf.logical_not(tf.math.is_nan(y_true))\n",
        FAILED,
        "pinball_loss uses TensorFlow",
    ),
    (
        "ex09a",
        "    return (1 - z) * h_prev + z * candidate\n",
        "    return z * h_prev + (1 - z) * candidate\n",
        FAILED,
        "with z and 1 - z swapped",
    ),
    (
        "ex09a",
        "candidate = g(keras.ops.matmul(x_t, w_h) + b_h)",
        "candidate = keras.ops.tanh(keras.ops.matmul(x_t, w_h) + b_h)",
        FAILED,
        "with tanh as the candidate's activation",
    ),
    (
        "ex09a",
        "keras.ops.matmul(x_t, w_z) + b_z)",
        "keras.ops.matmul(x_t, w_z) + b_z + h_prev)",
        FAILED,
        "with the gate reading h_prev",
    ),
    (
        "ex09a",
        "keras.ops.matmul(x_t, w_z) + b_z)",
        "keras.ops.matmul(x_t, w_z))",
        FAILED,
        "without the gate's bias b_z",
    ),
    (
        "ex09a",
        "    return (1 - z) * h_prev + z * candidate\n",
        "    return keras.ops.sum((1 - z) * h_prev + z * candidate, axis=-1)\n",
        FAILED,
        "wrong shape: expected (3, 3), got (3,)",
    ),
    (
        "ex09b",
        "    return a1 * a2, a2 * b1 + b2\n",
        "    return a1 * a2, a1 * b2 + b1\n",
        FAILED,
        "with the steps in the wrong order",
    ),
    ("ex09b", "    return a1 * a2, a2 * b1 + b2\n", "    return a1 * a2, b1 + b2\n", FAILED, "by adding the b's"),
    (
        "ex09b",
        "    return a1 * a2, a2 * b1 + b2\n",
        "    return a1 * a2, a2 * (b1 + b2)\n",
        FAILED,
        "Your combine is not associative",
    ),
    (
        "ex09b",
        "    return a1 * a2, a2 * b1 + b2\n",
        "    return keras.ops.stack([a1 * a2, a2 * b1 + b2])\n",
        FAILED,
        "returned one array of shape (2, 2, 3)",
    ),
    (
        "ex09b",
        "    return a1 * a2, a2 * b1 + b2\n",
        "    return (a1 * a2, a2 * b1 + b2),\n",
        FAILED,
        "returned a tuple of 1 item.",
    ),
    (
        "ex09b",
        "    return a1 * a2, a2 * b1 + b2\n",
        "    if a2 == 0:  # the state is forgotten\n        return a1 * a2, b2\n    return a1 * a2, a2 * b1 + b2\n",
        ERROR,
        "truth value of an array",
    ),
]


def write_variant(folder, exercise, old, new):
    source = exercise.solution_text()
    assert old in source, f"the solution of {exercise.id} no longer contains {old!r}; update this test"
    path = exercise.file_in(folder)
    before, _, after = source.rpartition(old)  # the last occurrence: the code, not the docstring
    path.write_text(before + new + after)
    return path


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow in the deliberately unsafe softmax
@pytest.mark.parametrize("ex_id, old, new, status, phrase", WRONG, ids=[f"{w[0]}-{w[4][:30]}" for w in WRONG])
def test_plausible_wrong_answer_is_rejected_with_its_cause(tmp_path, ex_id, old, new, status, phrase):
    exercise = BY_ID[ex_id]
    write_variant(tmp_path, exercise, old, new)
    outcome = run_check(exercise, exercise.file_in(tmp_path))
    assert outcome.status == status, outcome.message
    assert phrase in outcome.message, outcome.message


# Other correct ways to write the same thing must pass too: the checks test behaviour, not spelling.
RIGHT = [
    ("ex01b", "return np.stack(states)", "return states  # a list of arrays"),
    (
        "ex02c",
        "return [g * scale for g in grads], global_norm",
        "return tuple(g * min(1.0, max_norm / max(global_norm, 1e-12)) for g in grads), np.float32(global_norm)",
    ),
    (
        "ex03a",
        """    inputs = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    embedded = keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True)(inputs)
    state = keras.layers.GRU(units)(embedded)
    outputs = keras.layers.Dense(1, activation="sigmoid")(state)
    return keras.Model(inputs, outputs, name="masked_sentiment")""",
        """    return keras.Sequential([keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True),
                             keras.layers.Bidirectional(keras.layers.LSTM(units)),
                             keras.layers.Dense(1, activation="sigmoid")])""",
    ),
    (
        "ex04a",
        "    return float(np.sum((predicted == y_true) & real) / np.sum(real))",
        "    return np.mean(predicted[real] == y_true[real])",
    ),
    ("ex04b", "    return spans\n", "    return [list(span) for span in spans]\n"),
    (
        "ex05a",
        "return targets[:, :-1], targets[:, 1:]",
        "return np.delete(targets, -1, axis=1).tolist(), np.delete(targets, 0, axis=1).tolist()",
    ),
    (
        "ex05a",
        "    width = max(len(ids) for ids in sentences) + 2\n"
        "    targets = np.zeros((len(sentences), width), dtype=np.int64)\n"
        "    for row, ids in enumerate(sentences):\n"
        "        targets[row, : len(ids) + 2] = [start_id, *ids, end_id]\n"
        "    return targets\n",
        "    rows = [[start_id, *ids, end_id] for ids in sentences]\n"
        "    width = max(len(row) for row in rows)\n"
        "    return np.array([np.pad(row, (0, width - len(row))) for row in rows])\n",
    ),
    (
        "ex05b",
        "tokens = np.argmax(log_probs, axis=-1)",
        "tokens = np.where(finished, end_id, log_probs.argmax(axis=1))  # finished rows read [end]",
    ),
    (
        "ex05c",
        '    best = np.argsort(-candidates, kind="stable")[:k]\n'
        "    return best // vocab, best % vocab, candidates[best]\n",
        "    best = np.argsort(candidates)[::-1][:k]\n"
        "    origin, tokens = np.unravel_index(best, (k, vocab))\n"
        "    return list(origin), list(tokens), list(candidates[best])\n",
    ),
    (
        "ex06a",
        "    caption = []\n    for i in ids:\n        if i == end_id:\n            break\n"
        '        if i not in (0, start_id):\n            caption.append(words[i])\n    return " ".join(caption)\n',
        "    ids = [int(i) for i in ids]\n"
        "    if end_id in ids:\n        ids = ids[: ids.index(end_id)]\n"
        '    return " ".join(words[i] for i in ids if i not in (0, start_id))\n',
    ),
    (
        "ex06b",
        "    most = Counter()\n    for reference in references:\n"
        "        for gram, count in Counter(ngrams(reference.split(), n)).items():\n"
        "            most[gram] = max(most[gram], count)\n"
        "    matches = sum(min(count, most[gram]) for gram, count in counts.items())\n",
        "    most = Counter()\n    for reference in references:\n"
        "        most |= Counter(ngrams(reference.split(), n))  # union: the larger count of each n-gram\n"
        "    matches = sum((counts & most).values())  # intersection: the smaller count\n",
    ),
    (
        "ex07a",
        "return int(rng.choice(len(probs), p=probs))",
        "return int(np.searchsorted(np.cumsum(probs), rng.random() * probs.sum()))  # inverse CDF",
    ),
    (
        "ex07b",
        "keep = np.argsort(logits)[::-1][:k]",
        "keep = np.argpartition(logits, -k)[-k:] if k < len(logits) else np.arange(len(logits))",
    ),
    (
        "ex08a",
        "    starts = np.arange(n)\n"
        "    windows = inputs[starts[:, None] + np.arange(window)]  # rows (n, window): (n, window, features)\n"
        "    labels = targets[starts + window - 1 + horizon]\n",
        "    windows = np.array([inputs[i : i + window] for i in range(n)]).reshape((n, window) + inputs.shape[1:])\n"
        "    labels = np.array([targets[i + window - 1 + horizon] for i in range(n)], dtype=targets.dtype)\n",
    ),
    (
        "ex08a",
        "    windows = inputs[starts[:, None] + np.arange(window)]  # rows (n, window): (n, window, features)\n",
        "    from numpy.lib.stride_tricks import sliding_window_view\n"
        "    if n == 0:\n"
        "        return np.empty((0, window) + inputs.shape[1:]), np.empty(0)\n"
        "    windows = np.moveaxis(sliding_window_view(inputs, window, axis=0), -1, 1)[:n]\n",
    ),
    (
        "ex08b",
        "    std = np.where(std == 0, 1.0, std)\n",
        "    std[std == 0] = 1.0  # np.nanstd's result is a new array: ours to change\n",
    ),
    (
        "ex08b",
        "    scaled = {name: (np.asarray(rows, dtype=np.float64) - mean) / std for name, rows in splits.items()}\n",
        "    scaled = dict(splits)  # a new dict: replacing its values leaves the caller's alone\n"
        "    for name in scaled:\n"
        "        scaled[name] = (scaled[name] - mean[None, :]) / std[None, :]\n",
    ),
    (
        "ex08c",
        "    loss = keras.ops.maximum(q * error, (q - 1.0) * error)\n",
        "    loss = q * keras.ops.relu(error) + (1.0 - q) * keras.ops.relu(-error)\n",
    ),
    (
        "ex08c",
        "    return keras.ops.sum(loss * weight) / keras.ops.maximum(terms, 1.0)\n",
        "    return keras.ops.divide_no_nan(keras.ops.sum(keras.ops.mean(loss, axis=-1) * weight[..., 0]), "
        "keras.ops.sum(weight))\n",
    ),
    (
        "ex09a",
        "    return (1 - z) * h_prev + z * candidate\n",
        "    return h_prev - z * h_prev + z * candidate\n",
    ),
    (
        "ex09a",
        "candidate = g(keras.ops.matmul(x_t, w_h) + b_h)",
        "candidate = g(keras.ops.add(keras.ops.dot(x_t, w_h), b_h))",
    ),
    (
        "ex09b",
        "    return a1 * a2, a2 * b1 + b2\n",
        "    return keras.ops.multiply(a1, a2), keras.ops.add(keras.ops.multiply(a2, b1), b2)\n",
    ),
    (
        "ex09b",
        "    a1, b1 = first\n    a2, b2 = second\n    return a1 * a2, a2 * b1 + b2\n",
        "    return [first[0] * second[0], second[0] * first[1] + second[1]]\n",
    ),
]


@pytest.mark.parametrize("ex_id, old, new", RIGHT, ids=[f"{r[0]}-{i}" for i, r in enumerate(RIGHT)])
def test_another_correct_answer_passes(tmp_path, ex_id, old, new):
    exercise = BY_ID[ex_id]
    write_variant(tmp_path, exercise, old, new)
    outcome = run_check(exercise, exercise.file_in(tmp_path))
    assert outcome.status == PASSED, outcome.message


# ------------------------------------------------------------------ the checker's messages
def check_source(tmp_path, ex_id, body, **options):
    """Check a learner file made of the stub with its TODO replaced by ``body``."""
    exercise = BY_ID[ex_id]
    stub = exercise.stub_text()
    start = stub.index("    # TODO")
    end = stub.index("\n", stub.index("raise NotImplementedError", start)) + 1
    exercise.file_in(tmp_path).write_text(stub[:start] + body + stub[end:])
    return run_check(exercise, exercise.file_in(tmp_path), **options)


def test_wrong_shape_message_gives_both_shapes(tmp_path):
    outcome = check_source(tmp_path, "ex01a", "    return np.zeros(len(x))\n")
    assert outcome.status == FAILED
    assert "wrong shape: expected (4,), got (3,)" in outcome.message
    assert "case: 3 features, 4 hidden units" in outcome.message


def test_wrong_value_message_gives_first_difference_and_both_arrays(tmp_path):
    outcome = check_source(tmp_path, "ex01a", "    return np.tanh(W_hh @ h_prev + W_xh @ x + b_h) + 0.5\n")
    assert outcome.status == FAILED
    message = outcome.message
    assert "right shape (4,) but wrong values: 4 of 4 elements differ" in message
    assert "first difference at index [0]: expected " in message and ", got " in message
    assert "expected: [" in message and "got:      [" in message


def test_exception_in_learner_code_points_at_the_learners_line(tmp_path):
    outcome = check_source(tmp_path, "ex04b", "    spans = []\n    lookup = {}\n    return lookup[tags[0]]\n")
    assert outcome.status == ERROR
    lines = (tmp_path / "ex04b_iob_spans.py").read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "return lookup[tags[0]]" in text)
    assert f'ex04b_iob_spans.py", line {line}, in iob_to_spans' in outcome.message
    assert "return lookup[tags[0]]" in outcome.message and "KeyError" in outcome.message
    assert "While checking: iob_to_spans, case:" in outcome.message
    assert "Traceback" not in outcome.message and "runner.py" not in outcome.message


def test_keras_error_in_learner_code_is_short_and_points_at_the_learner(tmp_path):
    body = (
        '    inputs = keras.Input(shape=(None,), dtype="int32")\n'
        "    outputs = keras.layers.GRU(units)(inputs)\n"
        "    return keras.Model(inputs, outputs)\n"
    )
    outcome = check_source(tmp_path, "ex03a", body)
    assert outcome.status == ERROR
    assert "keras.layers.GRU(units)(inputs)" in outcome.message and "ex03a_masking.py" in outcome.message
    assert len(outcome.message.splitlines()) <= 16, outcome.message
    assert "site-packages" not in outcome.message


def test_syntax_error_none_missing_function_and_endless_loop(tmp_path):
    outcome = check_source(tmp_path, "ex01a", "    return np.tanh(W_hh @ h_prev +)\n")
    assert outcome.status == ERROR and "does not parse" in outcome.message and "line 25" in outcome.message
    outcome = check_source(tmp_path, "ex01a", "    h = np.tanh(W_hh @ h_prev + W_xh @ x + b_h)\n")
    assert outcome.status == FAILED and "returned None: did you forget the `return`?" in outcome.message
    exercise = BY_ID["ex01a"]
    exercise.file_in(tmp_path).write_text(exercise.solution_text().replace("def rnn_step(", "def step("))
    outcome = run_check(exercise, exercise.file_in(tmp_path))
    assert outcome.status == FAILED and "has no function named `rnn_step`" in outcome.message
    outcome = check_source(tmp_path, "ex04b", "    while True:\n        pass\n", time_limit_s=1)
    assert outcome.status == ERROR and "still running after 1 s" in outcome.message


# ------------------------------------------------------------------ the checks' references are the real thing
def test_lstm_and_gru_references_equal_keras_layers():
    import keras

    from exercises.checks import ex02a_lstm_cell, ex02b_gru_cell

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 1, 5)).astype("float32")
    h0 = rng.normal(size=(3, 4)).astype("float32")
    c0 = rng.normal(size=(3, 4)).astype("float32")
    lstm = keras.layers.LSTM(4)
    lstm.build(x.shape)
    lstm.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in lstm.get_weights()])
    expected = keras.ops.convert_to_numpy(lstm(x, initial_state=[h0, c0]))
    h, _ = ex02a_lstm_cell.reference(x[:, 0], h0, c0, *lstm.get_weights())
    np.testing.assert_allclose(h, expected, atol=1e-5)
    gru = keras.layers.GRU(4)
    gru.build(x.shape)
    gru.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in gru.get_weights()])
    expected = keras.ops.convert_to_numpy(gru(x, initial_state=h0))
    np.testing.assert_allclose(ex02b_gru_cell.reference(x[:, 0], h0, *gru.get_weights()), expected, atol=1e-5)


def test_clip_and_vectorize_references_equal_tensorflow_and_lesson03():
    import keras
    import tensorflow as tf

    from exercises.checks import ex02c_clip_by_global_norm as clip
    from exercises.checks import ex03b_vectorize as vec

    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(4, 3)), rng.normal(size=7)]
    expected, norm = tf.clip_by_global_norm([tf.constant(g) for g in grads], 1.5)
    for ours, theirs in zip(clip.reference(grads, 1.5), expected):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-6)
    from course_utils.text import clean_text  # lesson 03's standardization

    layer = keras.layers.TextVectorization(vocabulary=vec.VOCABULARY[2:], output_sequence_length=1)
    assert layer.get_vocabulary() == vec.VOCABULARY
    for _, text, length in vec.CASES:
        layer = keras.layers.TextVectorization(
            vocabulary=vec.VOCABULARY[2:], output_sequence_length=length, standardize=clean_text
        )
        assert layer([text]).numpy()[0].tolist() == vec.reference(text, length), text


def test_iob_references_equal_the_course_conll_helpers():
    from course_utils import conll
    from exercises.checks import ex04b_iob_spans, ex04c_iob1_to_iob2
    from lessons.saved.lesson04_tagging import entities

    for _, text, expected in ex04b_iob_spans.CASES:
        assert entities(text.split()) == set(expected), text
    for _, text, expected in ex04c_iob1_to_iob2.CASES:
        assert conll.iob1_to_iob2(text.split()) == expected.split(), text


def test_decoding_references_equal_lesson05s_searches():
    from lessons.saved.lesson05_translation import beam_search, greedy_search
    from exercises.checks import ex05b_greedy_decode as greedy
    from exercises.checks import ex05c_beam_step as beam

    for _, initial, max_length in greedy.CASES:
        expected = greedy_search(
            greedy.ToyModel().step,
            np.array(initial),
            batch_size=len(initial),
            start_id=greedy.START,
            end_id=greedy.END,
            max_length=max_length,
        )
        assert greedy.reference(greedy.ToyModel(), initial, max_length) == expected.tokens
    model, k, max_length = greedy.ToyModel(), 3, 8
    for initial in range(greedy.STATES):  # beam_step in a loop is beam search, for one input
        scores, finished = np.r_[0.0, np.full(k - 1, -np.inf)], np.zeros(k, dtype=bool)
        tokens, state, written = np.full(k, greedy.START), np.full(k, initial), [[] for _ in range(k)]
        for _ in range(max_length):
            log_probs, state = model.step(tokens, state)
            origin, tokens, scores = beam.reference(scores, log_probs, finished, greedy.END)
            finished = finished[origin] | (tokens == greedy.END)
            written = [written[o] + [int(t)] for o, t in zip(origin, tokens)]
            state = state[origin]
            if finished.all():
                break
        best = written[int(np.argmax(scores))]
        best = best[: best.index(greedy.END)] if greedy.END in best else best
        expected = beam_search(
            model.step,
            np.array([initial]),
            batch_size=1,
            start_id=greedy.START,
            end_id=greedy.END,
            max_length=max_length,
            beam_size=k,
        )
        assert best == expected.tokens[0], initial
        assert np.isclose(scores.max(), expected.log_probs[0]), initial


def test_teacher_forcing_reference_equals_lesson05_training_data():
    from exercises.checks import ex05a_teacher_forcing as forcing

    lesson05 = definitions("lesson05_translation")

    vocab = lesson05.Vocab(["", "[UNK]", "i", "am", "cold"], forcing.WORDS)
    assert (vocab.start_id, vocab.end_id) == (forcing.START, forcing.END)
    for _, texts in forcing.CASES:
        if "" in texts:
            continue  # lesson 05 has no empty sentences
        targets = forcing.reference([forcing.ids_of(t) for t in texts])
        assert vocab.encode_target(texts).tolist() == targets
        split = lesson05.Split([f"i am {i}" for i in range(len(texts))], [[t] for t in texts])
        dataset, _ = lesson05.training_data(split, vocab, batch_size=len(texts), seed=None)
        (_, decoder_input), decoder_target = next(iter(dataset))
        got = sorted(zip(decoder_input.numpy().tolist(), decoder_target.numpy().tolist()))
        assert got == sorted(zip(*forcing.shifted(targets)))  # batches group pairs by length: row order differs


def test_caption_and_bleu_references_equal_lesson06_and_sacrebleu():
    from sacrebleu.metrics import BLEU

    from course_utils.bleu import reference_streams
    from exercises.checks import ex06a_caption_text as caption
    from exercises.checks import ex06b_bleu_clipping as clipping

    lesson06 = definitions("lesson06_captioning")

    vocab = lesson06.Vocab(caption.WORDS[4:])
    assert vocab.words == caption.WORDS and (vocab.start_id, vocab.end_id) == (caption.START, caption.END)
    for _, text in caption.CASES:
        ids = caption.ids_of(text)
        decoded = ids[: ids.index(caption.END)] if caption.END in ids else ids  # as lesson 05's searches return
        assert caption.reference(ids) == vocab.decode(decoded), text
    bleu = BLEU(max_ngram_order=4, tokenize="none", smooth_method="none")
    for _, hypothesis, references, _ in clipping.CASES:
        score = bleu.corpus_score([hypothesis], reference_streams([references]))
        ours = [clipping.reference(hypothesis, references, n) for n in range(1, 5)]
        assert ours == list(zip(score.counts, score.totals)), hypothesis


# ------------------------------------------------------------------ the commands
def test_selection_by_id_lesson_prefix_word_and_path():
    assert [e.id for e in cli.select(["ex01"])] == ["ex01a", "ex01b", "ex01c"]
    assert [e.id for e in cli.select(["ex02b"])] == ["ex02b"]
    assert [e.id for e in cli.select(["lstm"])] == ["ex02a"]
    assert [e.id for e in cli.select(["3"])] == ["ex03a", "ex03b", "ex03c", "quiz1"]  # a quiz comes after its lesson
    assert [e.id for e in cli.select(["exercises/ex04b_iob_spans.py"])] == ["ex04b"]
    assert len(cli.select([])) == len(EXERCISES)
    with pytest.raises(CourseError, match="no exercise matches 'ex99'"):
        cli.select(["ex99"])


def test_check_a_file_given_by_its_path(tmp_path, capsys):
    exercise = BY_ID["ex04b"]
    assert cli.main(["check", str(exercise.source), "--dir", str(tmp_path)]) == 0
    assert "source/ex04b_iob_spans.py): PASSED" in capsys.readouterr().out
    stub = stub_file(exercise, tmp_path / "elsewhere")
    assert cli.main(["check", str(stub), str(BY_ID["ex04a"].source), "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "not done yet  ex04b_iob_spans" in out and "done          ex04a_masked_accuracy" in out
    assert (
        not (tmp_path / ".state" / "progress.json").exists()
        or "ex04a" not in (tmp_path / ".state" / "progress.json").read_text()
    )  # files outside --dir are not the learner's progress


def test_first_check_creates_the_stubs_then_lists_progress_and_exit_status(tmp_path, capsys):
    assert cli.main(["check", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert f"Created {len(EXERCISES)} exercise files in " in out
    assert out.count("not done yet") == len(EXERCISES)
    assert f"0 of {len(EXERCISES)} done. Next: open " in out and "make check EX=ex01a" in out
    assert all(e.file_in(tmp_path).read_text() == e.stub_text() for e in EXERCISES)
    mine = BY_ID["ex01a"].file_in(tmp_path)
    mine.write_text("# my work\n")
    assert cli.main(["check", "--dir", str(tmp_path)]) == 1
    assert "Created" not in capsys.readouterr().out and mine.read_text() == "# my work\n"
    mine.unlink()  # deleted: the next command brings the stub back
    assert cli.main(["check", "ex01a", "--dir", str(tmp_path)]) == 1
    assert "Created" in capsys.readouterr().out and mine.read_text() == BY_ID["ex01a"].stub_text()
    assert cli.main(["check", "ex01a", "--dir", str(SOURCE_DIR)]) == 0
    assert not (SOURCE_DIR / ".state").exists()


def test_check_one_passing_and_one_lesson(tmp_path, capsys):
    for exercise in cli.select(["ex04"]):
        solution_file(exercise, tmp_path)
    stub_file(BY_ID["ex04b"], tmp_path)
    assert cli.main(["check", "ex04a", "--dir", str(tmp_path)]) == 0
    assert "ex04a_masked_accuracy" in capsys.readouterr().out
    assert cli.main(["check", "ex04", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "done          ex04a_masked_accuracy" in out and "not done yet  ex04b_iob_spans" in out
    lesson4 = len(cli.select(["ex04"]))
    assert f"{lesson4 - 1} of {lesson4} done" in out  # every solution but ex04b's stub


def test_checking_never_changes_the_learners_files(tmp_path, capsys):
    for exercise in EXERCISES:
        stub_file(exercise, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("ex*.py")}
    cli.main(["check", "--dir", str(tmp_path)])
    assert {p.name: p.read_bytes() for p in tmp_path.glob("ex*.py")} == before


def test_hint_gives_a_second_more_specific_hint_on_the_next_call(tmp_path, capsys):
    hints = BY_ID["ex02c"].hints
    cli.main(["hint", "ex02c", "--dir", str(tmp_path)])
    first = capsys.readouterr().out
    assert "hint 1 of 2" in first and hints[0].split()[0] in first and "again for a more specific hint" in first
    cli.main(["hint", "ex02c", "--dir", str(tmp_path)])
    second = capsys.readouterr().out
    assert "hint 2 of 2" in second and hints[1] not in first
    assert hints[1].splitlines()[0].strip() in second and "make solution EX=ex02c" in second
    cli.main(["hint", "ex02", "--dir", str(tmp_path)])  # a lesson: its first exercise not yet passed
    assert "ex02a_lstm_cell, hint 1 of 2" in capsys.readouterr().out


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_reset_asks_keeps_a_backup_and_restores_the_stub(tmp_path, capsys, monkeypatch):
    exercise = BY_ID["ex01a"]
    mine = exercise.file_in(tmp_path)
    solution_file(exercise, tmp_path)
    work = mine.read_bytes()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal: refuse without --yes
    assert cli.main(["reset", "ex01a", "--dir", str(tmp_path)]) == 2
    assert "needs a confirmation" in capsys.readouterr().err and mine.read_bytes() == work
    monkeypatch.setattr(sys, "stdin", FakeTerminal("n\n"))
    assert cli.main(["reset", "ex01a", "--dir", str(tmp_path)]) == 1
    assert mine.read_bytes() == work and not (tmp_path / ".backup").exists()
    monkeypatch.setattr(sys, "stdin", FakeTerminal("y\n"))
    assert cli.main(["reset", "ex01a", "--dir", str(tmp_path)]) == 0
    assert mine.read_text() == exercise.stub_text()
    backups = list((tmp_path / ".backup").glob("ex01a_rnn_step.*.py"))
    assert len(backups) == 1 and backups[0].read_bytes() == work
    assert cli.main(["reset", "ex01a", "--dir", str(tmp_path)]) == 0  # already the stub: nothing to ask
    assert "already the original stub" in capsys.readouterr().out
    mine.write_text("# my second try\n")
    assert cli.main(["reset", "ex01a", "--yes", "--dir", str(tmp_path)]) == 0
    assert len(list((tmp_path / ".backup").glob("ex01a_rnn_step.*.py"))) == 2
    assert cli.main(["reset", "ex01", "--yes", "--dir", str(tmp_path)]) == 2  # several match: one at a time
    assert "one at a time" in capsys.readouterr().err


def test_watch_rechecks_on_save_and_stops_cleanly_on_ctrl_c(tmp_path):
    exercise = BY_ID["ex04b"]
    mine = exercise.file_in(tmp_path)
    stub_file(exercise, tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "exercises", "watch", "ex04b", "--dir", str(tmp_path), "--interval", "0.1"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = read_until(process, "not done yet")
        time.sleep(0.2)
        mine.write_text(exercise.solution_text())
        output += read_until(process, "PASSED")
        output += read_until(process, "Next:")  # back in its waiting loop
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output + rest
    assert "ex04b_iob_spans.py changed" in output and "Stopped watching." in rest


def read_until(process, text, timeout=60):
    seen = ""
    deadline = time.time() + timeout
    while text not in seen:
        line = process.stdout.readline()
        if not line or time.time() > deadline:
            raise AssertionError(f"{text!r} not seen in watch output:\n{seen}")
        seen += line
    return seen
