"""Check for ex05b: greedy decoding of a batch, driven by a small stateful toy model whose next-word
log-probabilities depend on the state, so sentences end at different steps, one never ends, and a
loop that drops the state, does not feed words back or keeps [end] writes other words.
The tests check that the reference equals lesson 05's greedy_search."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_equal

TITLE = "greedy decoding of a batch (feed back, stop at [end])"
HINTS = (
    "Keep three things across the loop: the current tokens (all start_id at first), a list of written ids "
    "per sentence, and a boolean array saying which sentences have written end_id. Each step: "
    "log_probs, state = step(tokens, state); tokens = the argmax of each row (axis=-1). For a sentence not "
    "yet finished, end_id finishes it, any other id is appended. Break when all are finished.",
    "    tokens = np.full(batch_size, start_id)\n"
    "    written = [[] for _ in range(batch_size)]\n"
    "    finished = np.zeros(batch_size, dtype=bool)\n"
    "    for _ in range(max_length):\n"
    "        log_probs, state = step(tokens, state)\n"
    "        tokens = ...                              # the best word of every row\n"
    "        for row, token in enumerate(tokens):\n"
    "            ...                                   # skip finished rows; end_id finishes; else append\n"
    "        if finished.all():\n"
    "            break\n"
    "    return written",
)
VOCAB, STATES = 9, 11
PAD, END, START = 0, 2, 3


class ToyModel:
    """step(tokens, state) -> (log_probs, new_state) for a batch; state is one int per sentence."""

    SANDBOX_REPORTS = ("calls",)  # how often the learner's code called step comes back from its process

    def __init__(self, seed=1, start=START):
        self.table = np.random.default_rng(seed).normal(scale=2.0, size=(STATES, VOCAB, VOCAB))
        self.table[:, :, [PAD, start]] = -np.inf  # never written, as in lesson 05's Translator.step
        self.calls = 0

    def step(self, tokens, state):
        self.calls += 1
        state = np.asarray(state)
        try:
            tokens = np.asarray(tokens, dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailed(
                f"step was called with tokens={tokens!r}: it needs an int array, one id per sentence"
            ) from None
        if tokens.shape != state.shape or tokens.ndim != 1:
            raise CheckFailed(
                f"step was called with tokens of shape {tokens.shape} for {state.shape[0]} "
                f"sentences: it needs one token per sentence, shape ({state.shape[0]},)"
            )
        if not np.array_equal(tokens, np.round(tokens)) or tokens.min() < 0 or tokens.max() >= VOCAB:
            raise CheckFailed(
                f"step was called with tokens {tokens.tolist()}: they must be word ids from 0 to {VOCAB - 1}"
            )
        tokens = tokens.astype(np.int64)
        new_state = (state * 3 + tokens + 1) % STATES
        logits = self.table[new_state, tokens]
        log_probs = logits - logits.max(-1, keepdims=True)
        return log_probs - np.log(np.exp(log_probs).sum(-1, keepdims=True)), new_state


def reference(
    model,
    initial,
    max_length,
    *,
    carry=True,
    feed_back=True,
    keep_end=False,
    stop=True,
    with_start=False,
    start=START,
    end=END,
):
    START, END = start, end  # noqa: N806  (the ids this case uses)
    initial = np.asarray(initial)
    n = len(initial)
    state = initial
    tokens = np.full(n, START)
    written = [[START] if with_start else [] for _ in range(n)]
    finished = np.zeros(n, dtype=bool)
    for _ in range(max_length):
        log_probs, new_state = model.step(tokens if feed_back else np.full(n, START), state)
        state = new_state if carry else initial
        tokens = log_probs.argmax(axis=-1)
        for row, token in enumerate(tokens):
            if finished[row]:
                continue
            if token == END:
                finished[row] = stop
                if keep_end:
                    written[row].append(END)
            else:
                written[row].append(int(token))
        if finished.all():
            break
    return written


CASES = [  # (description, initial state of each sentence, max_length)
    (
        "6 sentences: they end after 1, 3, 6, 0 (at once) and 1 words, or never (cut at max_length=10)",
        [0, 1, 2, 3, 4, 5],
        10,
    ),
    ("3 sentences, max_length=4 cuts two of them", [7, 9, 8], 4),
    ("a single sentence, max_length=12", [6], 12),
    ("max_length=1: one step only", [0, 3, 5], 1),
]
MORE_CASES = [  # (description, initial states, max_length, start_id, end_id)
    (
        "4 sentences that have all written [end] after 4 steps, max_length=20 (stop early: no calls to step once all "
        "have written [end])",
        [0, 1, 3, 4],
        20,
        START,
        END,
    ),
    ("another vocabulary: start_id=5 and end_id=7, not 3 and 2", [0, 1, 2, 3, 4, 5], 10, 5, 7),
    ("another vocabulary, start_id=1 and end_id=4, max_length=15", [6, 7, 8], 15, 1, 4),
]


def as_id_lists(got, case):
    if got is None:
        raise CheckFailed(f"case: {case}\ngreedy_decode returned None: did you forget the `return`?")
    try:
        return [[int(t) for t in row] for row in got]
    except (TypeError, ValueError):
        raise CheckFailed(
            f"case: {case}\ngreedy_decode should return one list of int ids per sentence; it returned {got!r}"
        ) from None


def check(learner):
    suspects = Suspects(atol=None)  # a cause is named only when the evidence singles it out
    for case, initial, max_length, start, end in [(*c, START, END) for c in CASES] + MORE_CASES:
        model = ToyModel(start=start)
        call = (
            f"greedy_decode(step, state={initial}, batch_size={len(initial)}, start_id={start}, "
            f"end_id={end}, max_length={max_length})"
        )
        got = learner.call(
            "greedy_decode", model.step, np.array(initial), len(initial), start, end, max_length, case=case
        )
        got = as_id_lists(got, case)
        reference_model = ToyModel(start=start)
        ids = {"start": start, "end": end}
        mistakes = {
            "without carrying the state from one step to the next": reference(
                reference_model, initial, max_length, carry=False, **ids
            ),
            "without feeding each new word back in (every step reads [start] again)": reference(
                reference_model, initial, max_length, feed_back=False, **ids
            ),
            "by keeping the [end] token in the output": reference(
                reference_model, initial, max_length, keep_end=True, **ids
            ),
            "by going on after [end]: the words a sentence writes after its [end] do not count": reference(
                reference_model, initial, max_length, stop=False, **ids
            ),
            "by putting [start] in the output": reference(reference_model, initial, max_length, with_start=True, **ids),
            "by taking max_length + 1 steps: max_length is the most words a sentence may have": reference(
                reference_model, initial, max_length + 1, **ids
            ),
        }
        if (start, end) != (START, END):
            mistakes[f"by using the ids {START} and {END} instead of the start_id and end_id arguments"] = reference(
                reference_model, initial, max_length, start=START, end=END
            )
        counting = ToyModel(start=start)
        expected = reference(counting, initial, max_length, **ids)
        expect_equal(
            got, expected, call, case=case, mistakes=suspects.named(got, expected, mistakes), axes=("sentence", "word")
        )
        if model.calls > max_length:
            raise CheckFailed(
                f"case: {case}\ngreedy_decode called step {model.calls} times; max_length="
                f"{max_length} allows at most {max_length}."
            )
        if model.calls > counting.calls:
            raise CheckFailed(
                f"case: {case}\ngreedy_decode called step {model.calls} times, but every sentence had "
                f"written [end] after {counting.calls} steps.\nStop early when every sentence is "
                "finished (break out of the loop): each call to a real model costs time."
            )
    return (
        "greedy_decode feeds each best word back, carries the state, stops each sentence at [end], stops "
        f"early when all have ended and at max_length, on {len(CASES) + len(MORE_CASES)} batches "
        "(two with other start/end ids)."
    )
