"""Quiz 2 (beam search over a character language model): the check's reference equals brute force and greedy
decoding on the trained model, agrees with lesson 05's beam_search, its cases have no
ties that matter, realistic wrong answers are rejected (with their cause named where the evidence singles it
out), and differently written right answers pass."""

import itertools
import re

import numpy as np
import pytest

from exercises import all_exercises
from exercises.checks import quiz2_char_beam_search as quiz
from exercises.runner import ERROR, FAILED, PASSED, run_check
from lessons.saved.lesson05_translation import beam_search as lesson05_beam_search

EXERCISE = next(e for e in all_exercises() if e.id == "quiz2")


@pytest.fixture(scope="module")
def shakespeare(real_data):
    return quiz.shakespeare()


def all_models(shakespeare):
    return {"shakespeare": shakespeare, "rnn": quiz.RecurrentModel()}


def log_softmax(x):
    x = np.asarray(x, dtype=np.float64)
    return x - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)) - x.max(-1, keepdims=True)


# ------------------------------------------------------------------ the models
def test_the_trigram_model_is_add_one_smoothed_counts_of_the_real_text(shakespeare):
    text = shakespeare.text
    assert len(text) == 1_115_394 and shakespeare.vocab == sorted(set(text)) and shakespeare.vocab_size == 65
    for pair in ("th", "e ", "O:"):
        after = {c: len(re.findall(f"(?={re.escape(pair + c)})", text)) for c in shakespeare.vocab}
        total = sum(after.values())
        state = np.array([0, shakespeare.index[pair[0]]])
        logits, new_state = shakespeare.step(shakespeare.index[pair[1]], state)
        assert new_state.tolist() == [shakespeare.index[pair[0]], shakespeare.index[pair[1]]]
        probs = np.exp(log_softmax(logits))
        expected = np.array([(after[c] + 1) / (total + 65) for c in shakespeare.vocab])
        assert np.allclose(probs, expected, rtol=1e-12), pair


def test_the_rnn_steps_are_a_tanh_rnn_carrying_its_hidden_state():
    model = quiz.RecurrentModel()
    h = model.initial
    for token in (3, 0, 6):
        logits, h2 = model.step(token, h)
        assert np.allclose(h2, np.tanh(model.w_x[:, token] + model.w_h @ h + model.b))
        assert np.allclose(logits, model.w_y @ h2 + model.b_y)
        h = h2


# ------------------------------------------------------------------ the reference against brute force and greedy
def trigram_brute_force(model, prime, length):
    """Every continuation of `length` characters, scored from the log-softmax table (no step calls)."""
    lp = log_softmax(model.logits)
    context = [*model.initial.tolist(), *prime][-2:]
    v = model.vocab_size
    scores = lp[context[0], context[1]]  # (v,)
    if length >= 2:
        scores = scores[:, None] + lp[context[1]]  # (c1, c2)
    if length == 3:
        scores = scores[:, :, None] + lp  # lp[c1, c2, c3]
    best = np.unravel_index(np.argmax(scores), (v,) * length)
    return [int(i) for i in best], float(scores[best])


def rnn_brute_force(model, prime, length):
    """Every continuation of `length` characters run through the RNN as one batch."""
    h = model.initial
    for token in prime:
        h = np.tanh(model.w_x[:, token] + model.w_h @ h + model.b)
    v = model.vocab_size
    seqs = np.array(list(itertools.product(range(v), repeat=length)))
    hs, total = np.repeat(h[None], len(seqs), axis=0), np.zeros(len(seqs))
    for t in range(length):
        total += log_softmax(hs @ model.w_y.T + model.b_y)[np.arange(len(seqs)), seqs[:, t]]
        hs = np.tanh(model.w_x[:, seqs[:, t]].T + hs @ model.w_h.T + model.b)
    best = int(np.argmax(total))
    return seqs[best].tolist(), float(total[best])


@pytest.mark.parametrize("length", [1, 2, 3])
def test_a_beam_as_wide_as_every_continuation_is_exhaustive_search_on_shakespeare(shakespeare, length):
    for prime in ("KING RICHARD III:\nW", "To be, or not to ", "Q", "ROMEO:\n"):
        ids = shakespeare.encode(prime)
        got = quiz.reference(shakespeare, ids, 65 ** (length - 1), length)
        want = trigram_brute_force(shakespeare, ids, length)
        assert got[0] == want[0] and np.isclose(got[1], want[1], rtol=1e-12), prime


@pytest.mark.parametrize("length", [2, 3, 4])
def test_a_beam_as_wide_as_every_continuation_is_exhaustive_search_on_the_rnn(length):
    model = quiz.RecurrentModel()
    for prime in ("cab", "g", "efeecg", "abcdefgab"):
        ids = model.encode(prime)
        got = quiz.reference(model, ids, 7 ** (length - 1), length)
        want = rnn_brute_force(model, ids, length)
        assert got[0] == want[0] and np.isclose(got[1], want[1], rtol=1e-12), prime


def greedy(model, prime, length):
    state = model.initial
    for token in prime:
        logits, state = model.step(token, state)
    ids, total = [], 0.0
    for _ in range(length):
        lp = log_softmax(logits)
        ids.append(int(np.argmax(lp)))
        total += lp[ids[-1]]
        logits, state = model.step(ids[-1], state)
    return ids, total


def test_beam_width_1_is_greedy_and_a_wider_beam_never_scores_lower_on_the_checks_cases(shakespeare):
    models = all_models(shakespeare)
    better = 0
    for case, key, prime, k, length in quiz.cases(shakespeare.text):
        model, ids = models[key], models[key].encode(prime)
        got, base = quiz.reference(model, ids, k, length), greedy(model, ids, length)
        one = quiz.reference(model, ids, 1, length)
        assert one[0] == base[0] and np.isclose(one[1], base[1], rtol=1e-12), case
        assert got[1] >= base[1] - 1e-9, case  # not a theorem for beam search, but true on every case the check uses
        assert np.isclose(quiz.score_of(model, ids, got[0]), got[1], rtol=1e-12), case  # the score is the ids'
        better += got[1] > base[1] + 1e-6
    assert better >= 5  # most cases are ones where beam search beats greedy decoding


def test_the_reference_equals_lesson05s_beam_search(shakespeare):
    """Lesson 05's beam_search decodes with a batched step and an end token: the model's step, run on
    each beam, with an extra end id the model never writes, gives the same best continuation and score."""
    models = all_models(shakespeare)
    for case, key, prime, k, length in quiz.cases(shakespeare.text):
        model, ids = models[key], models[key].encode(prime)
        end = model.vocab_size
        state = model.initial
        for token in ids[:-1]:
            _, state = model.step(token, state)

        def step(tokens, states, model=model, end=end):
            # the copies after the first start at -inf and may "write" the end id: they are never chosen
            outs = [model.step(int(t) if t != end else 0, s) for t, s in zip(tokens, states)]
            lp = log_softmax(np.stack([o[0] for o in outs]))
            return np.concatenate([lp, np.full((len(outs), 1), -np.inf)], axis=1), np.stack([o[1] for o in outs])

        if length > 100:
            continue  # the long case: the same, but slow through a batched Python wrapper
        decoded = lesson05_beam_search(
            step, state[None], batch_size=1, start_id=ids[-1], end_id=end, max_length=length, beam_size=k
        )
        got = quiz.reference(model, ids, k, length)
        assert decoded.tokens[0] == got[0] and np.isclose(decoded.log_probs[0], got[1], rtol=1e-12), case


def test_no_tie_changes_the_answer_in_the_checks_cases(shakespeare):
    models = all_models(shakespeare)
    for case, key, prime, k, length in quiz.cases(shakespeare.text):
        model, ids = models[key], models[key].encode(prime)
        margins = []
        first = quiz.reference(model, ids, k, length, margins=margins)
        assert min(margins) > 1e-3, case  # every decision that matters is far from a tie
        assert quiz.reference(model, ids, k, length, ties="last") == first, case


def test_the_long_case_underflows_a_product_of_probabilities(shakespeare):
    ids = shakespeare.encode("First Citizen:\n")
    _, score = quiz.reference(shakespeare, ids, 3, quiz.LONG)
    assert score < -1000 and np.exp(score) == 0.0
    assert quiz.reference(shakespeare, ids, 3, quiz.LONG, multiply="log")[1] == -np.inf


def test_every_named_mistake_differs_from_the_right_answer_somewhere(shakespeare):
    models = all_models(shakespeare)
    for description, options in quiz.MISTAKES.items():
        assert any(
            quiz.reference(models[key], models[key].encode(prime), k, length, **options)
            != quiz.reference(models[key], models[key].encode(prime), k, length)
            for _, key, prime, k, length in quiz.cases(shakespeare.text)
        ), description


# ------------------------------------------------------------------ the check on learners' files
def write_variant(tmp_path, changes):
    text = EXERCISE.solution_text()
    for old, new in changes:
        assert old in text, old
        before, _, after = text.rpartition(old)
        text = before + new + after
    path = EXERCISE.file_in(tmp_path)
    path.write_text(text)
    return path


REFERENCE_BODY = EXERCISE.solution_text()[EXERCISE.solution_text().index("    for token in prime_ids:\n") :]

# Another way to write it, as lesson 05 does: k slots from the start (the copies after the first at -inf), the
# states in a list reordered by `origin`, a plain argsort (not stable), and a feed after the last character too.
SLOTS = """    for token in prime_ids:
        logits, state = step(token, state)
    k = beam_width
    scores = np.r_[0.0, np.full(k - 1, -np.inf)]
    written = [[] for _ in range(k)]
    rows, states = [logits] * k, [state] * k
    for _ in range(length):
        candidates = (scores[:, None] + log_softmax(np.stack(rows))).reshape(-1)
        vocab = len(rows[0])
        best = np.argsort(-candidates)[:k]
        origin, chars = best // vocab, best % vocab
        scores = candidates[best]
        written = [written[o] + [int(c)] for o, c in zip(origin, chars)]
        states = [states[o] for o in origin]
        fed = [step(int(c), s) for c, s in zip(chars, states)]
        rows, states = [f[0] for f in fed], [f[1] for f in fed]
    return written[0], float(scores[0])
"""

# And with plain Python: tuples sorted by score, log-probabilities as the log of a softmax, the answer as arrays.
TUPLES = """    for token in prime_ids:
        logits, state = step(token, state)
    beams = [(0.0, [], state, logits)]
    for position in range(length):
        candidates = []
        for score, ids, beam_state, beam_logits in beams:
            probs = np.exp(beam_logits - np.max(beam_logits))
            log_probs = np.log(probs / probs.sum())
            for char, log_prob in enumerate(log_probs):
                candidates.append((score + log_prob, ids + [char], beam_state))
        candidates = sorted(candidates, key=lambda c: c[0], reverse=True)[:beam_width]
        beams = []
        for score, ids, beam_state in candidates:
            next_logits, next_state = step(ids[-1], beam_state)
            beams.append((score, ids, next_state, next_logits))
    best = max(beams, key=lambda b: b[0])
    return np.array(best[1]), np.float64(best[0])
"""


@pytest.mark.parametrize("body", [SLOTS, TUPLES], ids=["slots", "tuples"])
def test_differently_written_right_answers_pass(real_data, tmp_path, body):
    outcome = run_check(EXERCISE, write_variant(tmp_path, [(REFERENCE_BODY, body)]))
    assert outcome.status == PASSED, outcome.message


def test_the_reference_solution_passes_within_a_few_seconds(real_data, tmp_path):
    outcome = run_check(EXERCISE, write_variant(tmp_path, []))
    assert outcome.status == PASSED, outcome.message
    assert outcome.seconds < 10, outcome.seconds


# (name, changes to the reference solution (or to SLOTS), status, phrases the verdict must contain)
WRONG = [
    (
        "states not reordered with the beams",
        [(REFERENCE_BODY, SLOTS), ("        states = [states[o] for o in origin]\n", "")],
        FAILED,
        ["without reordering the states", "tiny Shakespeare, beam_width 3"],
    ),
    (
        "states taken by position from a list that starts with one beam",
        [("ids, _, _, origin_state = beams[origin]", "ids, _, _, origin_state = beams[len(new_beams)]")],
        ERROR,
        ["IndexError", "beam_width 3"],
    ),
    (
        "raw logits added",
        [("scores[:, None] + log_softmax(np.stack(", "scores[:, None] + (np.stack(")],
        FAILED,
        ["raw logits instead of log_softmax", "beam_width 1", "positive"],
    ),
    (
        "candidates ranked by the new character's log-probability alone",
        [
            (
                '        best = np.argsort(-candidates.reshape(-1), kind="stable")[:beam_width]\n',
                "        new_char = log_softmax(np.stack([logits for _, _, logits, _ in beams]))\n"
                '        best = np.argsort(-new_char.reshape(-1), kind="stable")[:beam_width]\n',
            ),
            ("    ids, score, _, _ = beams[0]\n", "    ids, score, _, _ = max(beams, key=lambda b: b[1])\n"),
        ],
        FAILED,
        ["by ranking the candidates by the new character's log-probability alone"],
    ),
    (
        "probabilities multiplied, the log taken at the end",
        [
            (REFERENCE_BODY, SLOTS),
            ("scores = np.r_[0.0, np.full(k - 1, -np.inf)]", "scores = np.r_[1.0, np.zeros(k - 1)]"),
            (
                "(scores[:, None] + log_softmax(np.stack(rows)))",
                "(scores[:, None] * np.exp(log_softmax(np.stack(rows))))",
            ),
            ("return written[0], float(scores[0])", "return written[0], float(np.log(scores[0]))"),
        ],
        FAILED,
        ["1200 characters", "underflows to 0"],
    ),
    (
        "the probability returned instead of the log-probability",
        [("    return ids, score\n", "    return ids, float(np.exp(score))\n")],
        FAILED,
        ["product of the probabilities", "positive"],
    ),
    (
        "each beam extended by its own best character",
        [
            (
                '        best = np.argsort(-candidates.reshape(-1), kind="stable")[:beam_width]\n',
                "        if position == 0:\n"
                '            best = np.argsort(-candidates.reshape(-1), kind="stable")[:beam_width]\n'
                "        else:\n"
                "            best = np.arange(len(beams)) * vocab + candidates.argmax(axis=1)\n"
                '            best = best[np.argsort(-candidates.reshape(-1)[best], kind="stable")]\n',
            )
        ],
        FAILED,
        ["its own best character instead of keeping the best k", "beam_width 3"],
    ),
    (
        "k identical beams at the start",
        [(REFERENCE_BODY, SLOTS), ("scores = np.r_[0.0, np.full(k - 1, -np.inf)]", "scores = np.zeros(k)")],
        FAILED,
        ["with greedy decoding: k identical beams", "first difference at new character 0"],
    ),
    (
        "the last prime id read twice",
        [
            (
                "    beams = [([], 0.0, logits, state)]",
                "    logits, state = step(prime_ids[-1], state)\n    beams = [([], 0.0, logits, state)]",
            )
        ],
        FAILED,
        ["reading the last prime id twice"],
    ),
    (
        "only the last prime id read",
        [("    for token in prime_ids:\n", "    for token in prime_ids[-1:]:\n")],
        FAILED,
        ["reading only the last prime id"],
    ),
    (
        "the prime returned too",
        [("    return ids, score\n", "    return list(prime_ids) + ids, score\n")],
        FAILED,
        ["returning the prime as well", "length=25 new ids"],
    ),
    (
        "the worst beam returned",
        [("    ids, score, _, _ = beams[0]\n", "    ids, score, _, _ = beams[-1]\n")],
        FAILED,
        ["the last (worst) of the k beams"],
    ),
    (
        "the prime list changed in place",
        [("    for token in prime_ids:\n", "    last = prime_ids.pop()\n    for token in prime_ids + [last]:\n")],
        FAILED,
        ["changed the prime_ids list", "in place"],
    ),
    (
        "every beam fed with the same (the best beam's) state",
        [
            (
                "ids, _, _, origin_state = beams[origin]",
                "ids, _, _, _ = beams[origin]\n            origin_state = beams[0][3]",
            )
        ],
        FAILED,
        ["tiny Shakespeare, beam_width 3"],
    ),
    (
        "all the beams' states passed to step at once",
        [
            (
                "new_logits, new_state = step(char, origin_state)",
                "new_logits, new_state = step(char, np.stack([b[3] for b in beams]))",
            )
        ],
        FAILED,
        ["one beam per call"],
    ),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0) in the product-of-probabilities answer
@pytest.mark.parametrize("name, changes, status, phrases", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_answers_are_rejected_with_their_cause(real_data, tmp_path, name, changes, status, phrases):
    outcome = run_check(EXERCISE, write_variant(tmp_path, changes))
    assert outcome.status == status, outcome.message
    for phrase in phrases:
        assert phrase in outcome.message, outcome.message


def test_a_missing_dataset_fails_with_one_line_saying_make_lesson07(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty"))
    outcome = run_check(EXERCISE, write_variant(tmp_path, []))
    assert outcome.status == FAILED
    assert "make lesson07" in outcome.message and len(outcome.message.splitlines()) == 1, outcome.message
    assert not (tmp_path / "empty").exists()  # nothing was downloaded
