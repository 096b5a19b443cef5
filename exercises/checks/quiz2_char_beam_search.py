"""Check for quiz2: beam search over two character models that carry a real state.

1. A count-based trigram model trained on tiny Shakespeare (makemore's first model, one character longer):
   its logits are log(count + 1) of each character after the last two (add-one smoothing), and its state
   is a NumPy array holding those two characters. It is fast to train (a fraction of a second) and honest
   about what it is: not lesson 07's GRU, but a real character model of the same text.
2. A tiny recurrent network with random weights (7 characters, a hidden-state vector of 8), whose every
   prediction depends on everything read so far, so a state that is not carried, or not reordered with the
   chosen beams, changes the answer.

Cases: beam width 1 (greedy decoding), exhaustive searches (a beam as wide as every continuation but the
last character: vocabulary ** (length - 1)), middle widths where beam search beats greedy, seeded random
cases, and a 1200-character continuation whose probability underflows float64 (multiplied probabilities
fail there). tests/test_quiz2.py checks the reference against brute force and greedy decoding.
"""

import functools

import numpy as np

from course_utils import CourseError, data
from exercises.checking import CheckFailed, Suspects, expect_close, short_repr

TITLE = "beam search over a character language model (lessons 05 and 07)"
HINTS = (
    "Keep, for each beam, four things: its new ids, its score, the logits `step` gave after its last "
    "character and the state `step` returned with them. Each of the `length` steps stacks the beams' "
    "log_softmax(logits) into a (beams, vocabulary) array, adds each beam's score to its row, and takes the k "
    "largest of the whole flattened array (flat index i = beam i // vocabulary, character i % vocabulary). "
    "Start from ONE beam, not k copies of it.",
    "    for token in prime_ids:\n"
    "        logits, state = step(token, state)\n"
    "    beams = [([], 0.0, logits, state)]                 # ids, score, logits, state\n"
    "    for position in range(length):\n"
    "        scores = np.array([b[1] for b in beams])\n"
    "        candidates = scores[:, None] + log_softmax(np.stack([b[2] for b in beams]))\n"
    '        best = np.argsort(-candidates.reshape(-1), kind="stable")[:beam_width]\n'
    "        new_beams = []\n"
    "        for index in best:\n"
    "            origin, char = divmod(int(index), candidates.shape[1])\n"
    "            new_logits, new_state = step(char, ...)  # the state of the beam it extends\n"
    "            new_beams.append((beams[origin][0] + [char], ..., new_logits, new_state))\n"
    "        beams = new_beams\n"
    "    return ...                                         # the best beam's ids and score",
)


# ---------------------------------------------------------------- the two models
def as_token(token, vocab_size, case=""):
    """The character id ``step`` was given, or a verdict saying why it is not one."""
    value = None if isinstance(token, (list, tuple, dict, str)) else np.asarray(token)
    ok = value is not None and value.shape == () and value.dtype.kind in "iuf" and bool(np.isfinite(value))
    if not (ok and float(value) == int(value) and 0 <= int(value) < vocab_size):
        raise CheckFailed(
            (f"case: {case}\n" if case else "")
            + f"step was called with token_id={short_repr(token, 80)}: it reads ONE character id, an int from 0 "
            f"to {vocab_size - 1}, for one beam (call it once per beam, with that beam's state)"
        )
    return int(value)


def state_problem(state, shape, kind):
    """Why ``state`` cannot be a state ``step`` returned (None when it can)."""
    if not isinstance(state, np.ndarray):
        return f"a {type(state).__name__}, not the NumPy array step returned"
    if state.shape != shape:
        many = " (the states of several beams at once?)" if state.ndim > len(shape) else ""
        return f"an array of shape {state.shape}, not {shape}{many}"
    if state.dtype.kind not in kind:
        return f"an array of dtype {state.dtype}"
    return None


def bad_state(state, shape, kind, case=""):
    problem = state_problem(state, shape, kind)
    if problem:
        raise CheckFailed(
            (f"case: {case}\n" if case else "")
            + f"step was called with a state that is {problem}. Pass each beam the state that step returned for it, "
            "as it is (one beam per call)."
        )


class TrigramModel:
    """Counts of each character after each pair of characters of a text, plus one (add-one smoothing).

    ``step(token_id, state)``: the state is an int array [previous character, current character]; reading
    ``token_id`` makes it [current, token_id], and the logits are log(count + 1) of every character after
    that pair, so softmax(logits) = (count + 1) / (pair count + vocabulary). The initial state is two line
    breaks (the text before a speech).
    """

    def __init__(self, text: str, name: str = "tiny Shakespeare"):
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        distinct = np.unique(codes)
        lookup = np.zeros(int(distinct.max()) + 1, dtype=np.int64)
        lookup[distinct] = np.arange(len(distinct))
        ids = lookup[codes]
        self.name, self.text = name, text
        self.case = ""  # the case being checked, for the verdicts of a wrong call
        self.vocab = [chr(c) for c in distinct]  # sorted(set(text)), as lesson 07 builds it
        self.index = {c: i for i, c in enumerate(self.vocab)}
        v = len(self.vocab)
        triples = (ids[:-2] * v + ids[1:-1]) * v + ids[2:]
        self.logits = np.log(np.bincount(triples, minlength=v**3).reshape(v, v, v) + 1.0)
        newline = self.index.get("\n", 0)
        self.initial = np.array([newline, newline], dtype=np.int64)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def step(self, token, state):
        token = as_token(token, self.vocab_size, self.case)
        bad_state(state, (2,), "iu", self.case)
        current = int(state[1])
        if not 0 <= current < self.vocab_size:
            bad_state(None, (2,), "iu", self.case)
        return self.logits[current, token].copy(), np.array([current, token], dtype=np.int64)

    def encode(self, text):
        return [self.index[c] for c in text]


class RecurrentModel:
    """A tanh RNN with random weights: h = tanh(W_x[:, token] + W_h @ h + b), logits = W_y @ h + b_y."""

    name = "a tiny RNN with random weights"
    case = ""
    vocab = list("abcdefg")
    hidden = 8

    def __init__(self, seed=5):
        rng = np.random.default_rng(seed)
        v, h = len(self.vocab), self.hidden
        self.w_x, self.w_h = rng.normal(scale=1.0, size=(h, v)), rng.normal(scale=0.5, size=(h, h))
        self.b = rng.normal(scale=0.2, size=h)
        self.w_y, self.b_y = rng.normal(scale=1.5, size=(v, h)), rng.normal(scale=0.5, size=v)
        self.initial = rng.normal(scale=0.5, size=h)

    @property
    def vocab_size(self):
        return len(self.vocab)

    def step(self, token, state):
        token = as_token(token, self.vocab_size, self.case)
        bad_state(state, (self.hidden,), "f", self.case)
        h = np.tanh(self.w_x[:, token] + self.w_h @ state + self.b)
        return self.w_y @ h + self.b_y, h

    def encode(self, text):
        return [self.vocab.index(c) for c in text]


SHOWN = 70  # characters of a continuation a verdict shows
LONG = 1200  # characters: log-probability about -1200, and exp(-745) is already 0.0 in float64


@functools.lru_cache(maxsize=2)
def _trained(path: str) -> TrigramModel:
    return TrigramModel(data.read_text("tinyshakespeare"))


def shakespeare():
    """The trigram model of tiny Shakespeare; a one-line verdict when the text is not downloaded yet."""
    path = data.data_root() / data.REGISTRY["tinyshakespeare"].path
    if not data.on_disk("tinyshakespeare"):
        raise CheckFailed(
            f"this quiz trains its character model on tiny Shakespeare, which is not at {path} yet: "
            "run `make lesson07` first (it downloads it)."
        )
    try:
        return _trained(str(path))
    except CourseError as err:
        raise CheckFailed(f"{err} (run `make lesson07` to download tiny Shakespeare again)") from None


# ---------------------------------------------------------------- the reference, and the mistakes it can make
def log_softmax(logits):
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def reference(
    model,
    prime,
    k,
    length,
    *,
    state=None,
    reorder=True,
    normalise=True,
    cumulative=True,
    multiply=None,
    per_row=False,
    identical=False,
    read="all",
    with_prime=False,
    pick="best",
    margins=None,
    ties="first",
):
    """Beam search as the quiz describes it: ``(ids, score)``. The options make it one of the named mistakes;
    ``margins`` (a list) collects how far each decision that matters is from a tie; ``ties="last"`` breaks
    ties the other way (the tests use both to show the cases have no ties that matter)."""
    state = model.initial if state is None else state
    feed = {"all": prime, "first": prime[:1], "last": prime[-1:], "twice": prime + prime[-1:]}[read]
    for token in feed:
        logits, state = model.step(token, state)
    slots = k if identical or not reorder else 1  # k copies of the primed state, or one beam
    if multiply:
        scores = np.ones(slots) if identical else np.r_[1.0, np.zeros(slots - 1)]
    else:
        scores = np.zeros(slots) if identical else np.r_[0.0, np.full(slots - 1, -np.inf)]
    written, rows, states = [[] for _ in range(slots)], [logits] * slots, [state] * slots
    for position in range(length):
        last = position + 1 == length
        values = log_softmax(np.stack(rows)) if normalise else np.stack(rows).astype(np.float64)
        with np.errstate(under="ignore"):
            candidates = scores[:, None] * np.exp(values) if multiply else scores[:, None] + values
        vocab = candidates.shape[1]
        if per_row and position > 0:
            origin, chars = np.arange(len(candidates)), candidates.argmax(axis=1)
            new_scores = candidates[origin, chars]
            order = np.argsort(-new_scores, kind="stable")
            origin, chars, new_scores = origin[order], chars[order], new_scores[order]
        else:
            flat = candidates.reshape(-1)
            rank = flat if cumulative else values.reshape(-1)  # the mistake ranks by the new character alone
            order = (
                np.argsort(-rank, kind="stable")
                if ties == "first"
                else flat.size - 1 - np.argsort(-rank[::-1], kind="stable")
            )
            best = order[: min(k, flat.size)]
            if margins is not None:
                ranked = rank[order]
                if last and flat.size > 1:
                    margins.append(ranked[0] - ranked[1])
                elif not last and k < flat.size and np.isfinite(ranked[k]):
                    margins.append(ranked[k - 1] - ranked[k])
            origin, chars, new_scores = best // vocab, best % vocab, flat[best]
        written = [written[o] + [int(c)] for o, c in zip(origin, chars)]
        scores = new_scores
        if not last:
            fed = [
                model.step(int(c), states[o] if reorder else states[i]) for i, (o, c) in enumerate(zip(origin, chars))
            ]
            rows, states = [f[0] for f in fed], [f[1] for f in fed]
    chosen = len(written) - 1 if pick == "last" else int(np.argmax(scores))  # the first of the best
    score = scores[chosen]
    if multiply == "log":
        with np.errstate(divide="ignore"):
            score = np.log(score)
    ids = written[chosen]
    return (list(prime) + ids if with_prime else ids), float(score)


MISTAKES = {
    "without reordering the states with the beams: each new beam must feed its character with the state of the "
    "beam it extends (its origin), not the state that sat at its own position": dict(reorder=False),
    "by adding the raw logits instead of log_softmax(logits), the log-probabilities": dict(normalise=False),
    "by ranking the candidates by the new character's log-probability alone: rank them by the whole "
    "continuation's, score[b] + log_softmax(logits[b])[c]": dict(cumulative=False),
    "by multiplying probabilities instead of adding log-probabilities: after a few hundred characters the "
    "product underflows to 0 and every candidate ties": dict(multiply="log"),
    "by returning the product of the probabilities instead of the sum of their logs": dict(multiply="prob"),
    "by extending each beam only by its own best character instead of keeping the best k of all "
    "beam x character candidates together": dict(per_row=True),
    "with greedy decoding: k identical beams of score 0 keep k copies of the same best character at every step "
    "(start from ONE beam), or each beam is extended only by its own best character": dict(identical=True),
    "by reading only the first prime id": dict(read="first"),
    "by reading only the last prime id": dict(read="last"),
    "by reading the last prime id twice (the logits after reading it already predict the first new character)": dict(
        read="twice"
    ),
    "by returning the prime as well: return only the new ids": dict(with_prime=True),
    "by returning the last (worst) of the k beams instead of the best one": dict(pick="last"),
}


def score_of(model, prime, ids, state=None):
    """The total log-probability of ``ids`` after ``prime``."""
    state = model.initial if state is None else state
    for token in prime:
        logits, state = model.step(token, state)
    total = 0.0
    for token in ids:
        total += float(log_softmax(logits)[token])
        logits, state = model.step(token, state)
    return total


# ---------------------------------------------------------------- the cases
def random_cases(text, seed=2034):
    """Seeded random cases: two primes cut from tiny Shakespeare and two random primes for the RNN."""
    rng = np.random.default_rng(seed)
    found = []
    for i in range(2):
        start = int(rng.integers(0, len(text) - 40))
        prime = text[start : start + int(rng.integers(3, 25))]
        found.append(
            (
                f"tiny Shakespeare, seeded random case {i + 1}",
                "shakespeare",
                prime,
                int(rng.integers(2, 7)),
                int(rng.integers(10, 31)),
            )
        )
    vocab = RecurrentModel.vocab
    for i in range(2):
        prime = "".join(vocab[j] for j in rng.integers(0, len(vocab), size=int(rng.integers(1, 7))))
        found.append(
            (
                f"{RecurrentModel.name}, seeded random case {i + 1}",
                "rnn",
                prime,
                int(rng.integers(2, 7)),
                int(rng.integers(5, 16)),
            )
        )
    return found


def cases(text):
    """(description, model, prime text, beam_width, length), in the order the check runs them."""
    return [
        ("tiny Shakespeare, beam_width 1 (greedy decoding)", "shakespeare", "ROMEO:\nI", 1, 25),
        (
            "tiny Shakespeare, beam_width 3 (it finds a continuation 4.6 nats likelier than greedy's)",
            "shakespeare",
            "FRIAR LA",
            3,
            34,
        ),
        (
            "tiny Shakespeare, every continuation of 2 characters (beam_width 65, the whole vocabulary: an "
            "exhaustive search)",
            "shakespeare",
            "KING RICHARD III:\nW",
            65,
            2,
        ),
        (
            f"{RecurrentModel.name}, every continuation of 3 characters (beam_width 49 = 7 ** 2: an exhaustive search)",
            "rnn",
            "cab",
            49,
            3,
        ),
        (f"{RecurrentModel.name}, beam_width 5", "rnn", "efeecg", 5, 13),
        *random_cases(text),
        (
            f"tiny Shakespeare, beam_width 3, {LONG} characters (their probability is far below the smallest "
            "float64, about 1e-308)",
            "shakespeare",
            "First Citizen:\n",
            3,
            LONG,
        ),
    ]


# ---------------------------------------------------------------- the check
def shown(model, ids, start=0, width=None):
    """``ids[start:start + width]`` as text, with ``...`` where characters are left out."""
    end = len(ids) if width is None else min(len(ids), start + width)
    text = repr("".join(model.vocab[i] for i in ids[start:end]))
    return ("..." if start > 0 else "") + text + ("..." if end < len(ids) else "")


def call_text(model, prime, k, length):
    return f"beam_search(step, state, prime_ids=<ids of {prime!r}>, beam_width={k}, length={length})"


def unpack(got, call, case, length):
    """The learner's ``(ids, score)`` as a list of ints and a float, or a verdict saying what came back."""
    lines = f"case: {case}\n{call}"
    if got is None:
        raise CheckFailed(f"{lines} returned None: did you forget the `return`?")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(f"{lines} should return two things, (ids, score); it returned {short_repr(got)}")
    ids, score = got
    try:
        array = np.asarray(ids, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(f"{lines}: ids should be a list of ints; got {short_repr(ids)}") from None
    if array.ndim != 1 or not np.array_equal(array, np.round(array)):
        raise CheckFailed(f"{lines}: ids should be a flat list of int character ids; got {short_repr(ids)}")
    try:
        score = float(np.asarray(score, dtype=np.float64).reshape(()))
    except (TypeError, ValueError):
        raise CheckFailed(f"{lines}: score should be one number; got {short_repr(score)}") from None
    return [int(i) for i in array], score


def flat(result):
    ids, score = result
    return np.r_[np.asarray(ids, dtype=np.float64), score]


def score_hints(got_score, expected_score, length):
    """What the learner's score alone says about the mistake (underflow, a probability instead of its log)."""
    if got_score == -np.inf or got_score == 0.0 and expected_score < -700:
        return [
            f"Your score is {got_score}: a product of {length} probabilities underflows to 0 (and log 0 = -inf), "
            "after which every candidate ties. Add log-probabilities instead of multiplying probabilities."
        ]
    if got_score > 0:
        return [
            f"Your score is positive ({got_score:.6g}), but a log-probability is never above 0: return the sum "
            "of the log-probabilities (log_softmax), not a probability or a sum of raw logits."
        ]
    return []


def wrong_ids(model, prime_ids, prime, k, length, got, expected, cause, case):
    lines = [f"case: {case}", f"{call_text(model, prime, k, length)} returned the wrong continuation."]
    ids, want = got[0], expected[0]
    in_range = all(0 <= i < model.vocab_size for i in ids)
    first = next((i for i, (a, b) in enumerate(zip(want, ids)) if a != b), min(len(want), len(ids)))
    start = 0 if max(len(ids), len(want)) <= SHOWN else max(0, first - 20)
    if start:
        lines.append(f"(new characters {start} to {start + SHOWN - 1} of {length})")
    lines.append(f"expected: {shown(model, want, start, SHOWN)}  (ids {short_repr(want[start:], 100)})")
    lines.append(
        f"got:      {shown(model, ids, start, SHOWN) if in_range else '(ids out of range)'}  "
        f"(ids {short_repr(ids[start:], 100)})"
    )
    if len(ids) != length:
        lines.append(f"It should hold exactly length={length} new ids, without the prime; it holds {len(ids)}.")
    else:
        have = f"{model.vocab[ids[first]]!r} (id {ids[first]})" if in_range else f"id {ids[first]}"
        lines.append(
            f"first difference at new character {first}: expected {model.vocab[want[first]]!r} "
            f"(id {want[first]}), got {have}"
        )
        if in_range:
            true = score_of(model, prime_ids, ids)
            greedy = reference(model, prime_ids, 1, length)[1]
            beaten = f" (even greedy decoding finds {greedy:.6g} here)" if true < greedy - 1e-9 else ""
            lines.append(
                f"the log-probability of your continuation is {true:.6g}{beaten}; the expected one's is "
                f"{expected[1]:.6g}"
            )
    if cause:
        lines.append(f"This is exactly what you get {cause}.")
    lines += score_hints(got[1], expected[1], length)
    raise CheckFailed("\n".join(lines))


def check_score(model, prime, k, length, got, expected, named, case):
    extra = score_hints(got[1], expected[1], length)
    try:
        what = f"the score returned by {call_text(model, prime, k, length)} (whose ids are right)"
        expect_close(
            got[1], expected[1], what, case=case, atol=1e-6, rtol=1e-6, mistakes={d: r[1] for d, r in named.items()}
        )
    except CheckFailed as verdict:
        raise CheckFailed("\n".join([str(verdict), *extra])) from None


def mistakes_in(model, prime_ids, k, length):
    """``{description: (ids, score)}`` of every named mistake on one case."""
    return {text: reference(model, prime_ids, k, length, **options) for text, options in MISTAKES.items()}


def check(learner):
    models = {"shakespeare": shakespeare(), "rnn": RecurrentModel()}
    all_cases = cases(models["shakespeare"].text)
    suspects, right = Suspects(atol=1e-6, rtol=1e-6), []
    for case, key, prime, k, length in all_cases:
        model = models[key]
        model.case, prime_ids = case, model.encode(prime)
        got = learner.call("beam_search", model.step, model.initial.copy(), list(prime_ids), k, length, case=case)
        got = unpack(got, call_text(model, prime, k, length), case, length)
        expected = reference(model, prime_ids, k, length)
        if suspects.same(flat(got), flat(expected)):
            right.append((model, prime_ids, k, length, expected))
            continue
        # a wrong answer: the cases it got right rule out the mistakes that would have failed them (computed only
        # now, as the simulated mistakes take most of the check's time)
        for *arguments, result in right:
            suspects.named(flat(result), flat(result), {t: flat(r) for t, r in mistakes_in(*arguments).items()})
        mistakes = mistakes_in(model, prime_ids, k, length)
        named = suspects.named(flat(got), flat(expected), {text: flat(r) for text, r in mistakes.items()})
        named = {text: mistakes[text] for text in named}
        if got[0] != expected[0]:
            wrong_ids(model, prime_ids, prime, k, length, got, expected, next(iter(named), None), case)
        check_score(model, prime, k, length, got, expected, named, case)
    return (
        f"beam_search reads the prime, ranks all beam x character candidates by their summed log-probability, "
        f"carries and reorders each beam's state, and returns the best continuation and its score "
        f"({len(all_cases)} cases on tiny Shakespeare and an RNN: greedy, exhaustive, seeded random, "
        f"{LONG} characters)."
    )
