"""Check for ex05a: [start] ... [end] with padding, then the one-column shift of teacher forcing, on small
batches of French sentences (lesson 05 slices its targets exactly so: target[:, :-1], target[:, 1:])."""

import numpy as np

from exercises.checking import CheckFailed, Suspects, expect_equal

TITLE = "teacher forcing: [start] ... [end] and the shift by one"
HINTS = (
    "add_start_end: the width is the longest sentence plus 2 (for [start] and [end]); make np.zeros of that "
    "shape with an int dtype and fill row by row from the left, so the zeros stay at the end. "
    "teacher_forcing: numpy slicing on the second axis. The input must still begin with [start] and the "
    "target must still contain [end].",
    "    width = max(len(ids) for ids in sentences) + 2\n"
    "    targets = np.zeros((len(sentences), width), dtype=int)\n"
    "    for row, ids in enumerate(sentences):\n"
    "        targets[row, :len(ids) + 2] = [start_id, *ids, ...]\n"
    "and in teacher_forcing:\n"
    "    return targets[:, ...], targets[:, ...]        # all but the last column, all but the first",
)
# a French vocabulary laid out like lesson 05's: 0 padding, 1 [UNK], then by frequency, [start] and [end] included
WORDS = [
    "",
    "[UNK]",
    ".",
    "[start]",
    "[end]",
    "je",
    "?",
    "est",
    "suis",
    "la",
    "il",
    "où",
    "froid",
    "j'ai",
    "gare",
    "pleut",
    "faim",
    "nous",
    "devons",
    "rentrer",
    "maintenant",
    "elle",
    "n'aime",
    "pas",
    "les",
    "chats",
]
INDEX = {w: i for i, w in enumerate(WORDS)}
START, END = INDEX["[start]"], INDEX["[end]"]
CASES = [
    ("three sentences of different lengths", ["j'ai froid .", "où est la gare ?", "il pleut ."]),
    ("one long sentence and two short ones", ["nous devons rentrer maintenant .", "j'ai faim .", "il pleut"]),
    ("sentences of the same length", ["je suis froid .", "elle n'aime pas les"]),
    ("a single sentence", ["elle n'aime pas les chats ."]),
    ("an empty sentence in the batch", ["j'ai froid .", ""]),
]


def ids_of(text):
    return [INDEX[w] for w in text.split()]


def wrapped(sentences, start=True, end=True, pad_front=False, pad_id=0, start_id=START, end_id=END):
    rows = [([start_id] if start else []) + ids + ([end_id] if end else []) for ids in sentences]
    width = max(len(ids) for ids in sentences) + start + end
    padded = [[pad_id] * (width - len(r)) + r if pad_front else r + [pad_id] * (width - len(r)) for r in rows]
    return padded


def reference(sentences):
    return wrapped(sentences)


def shifted(targets, *, swap=False, no_shift=False, by_value=False):
    targets = np.asarray(targets)
    inputs, outputs = targets[:, :-1], targets[:, 1:]
    if by_value:  # [end] deleted from each row, [start] from each row, then padded again
        width = targets.shape[1] - 1
        inputs = np.array(
            [
                [t for t in row if t != END] + [0] * (width - len([t for t in row if t != END]))
                for row in targets.tolist()
            ]
        )
        outputs = np.array(
            [
                [t for t in row if t != START] + [0] * (width - len([t for t in row if t != START]))
                for row in targets.tolist()
            ]
        )
    if no_shift:
        outputs = inputs
    if swap:
        inputs, outputs = outputs, inputs
    return inputs.tolist(), outputs.tolist()


def id_rows(got, what, case):
    """The learner's array as a list of rows of ints, or a verdict saying why it is not one."""
    if got is None:
        raise CheckFailed(f"case: {case}\n{what} returned None: did you forget the `return`?")
    try:
        array = np.asarray(got)
    except ValueError:
        array = None
    if array is None or array.dtype == object:
        raise CheckFailed(
            f"case: {case}\n{what} gave rows of different lengths (padding missing?): {[list(row) for row in got]}"
        )
    if array.ndim != 2:
        raise CheckFailed(
            f"case: {case}\n{what} should be a 2-D array (one row per sentence); "
            f"got shape {array.shape}: {array.tolist()}"
        )
    if not np.issubdtype(array.dtype, np.integer):
        whole = np.issubdtype(array.dtype, np.number) and np.array_equal(array, np.round(array))
        raise CheckFailed(
            f"case: {case}\n{what} should hold integer token ids (an int array); got dtype "
            f"{array.dtype}: {array.tolist()}"
            + (
                "\nThe values are right but they are floats: np.zeros makes floats unless you pass dtype=int."
                if whole
                else ""
            )
        )
    return array.astype(np.int64).tolist()


def words_of(rows):
    return " | ".join(" ".join(WORDS[i] or "_" for i in row) for row in rows)


def check(learner):
    wrapping, shifting = Suspects(atol=None), Suspects(atol=None)  # one mistake gives both halves of the pair
    for case, texts in CASES:
        sentences = [ids_of(t) for t in texts]
        given = [list(ids) for ids in sentences]
        call = f"add_start_end({given}, start_id={START}, end_id={END})"
        got = learner.call("add_start_end", given, START, END, case=f"{case}: {texts}")
        if given != sentences:
            raise CheckFailed(f"case: {case}\nadd_start_end changed the sentences it was given; build a new array.")
        rows = id_rows(got, "add_start_end", case)
        expected = reference(sentences)
        mistakes = {
            "by padding at the front instead of the end": wrapped(sentences, pad_front=True),
            "without the [end] token: the model would never learn to stop": wrapped(sentences, end=False),
            "without the [start] token: the decoder needs it as its first input": wrapped(sentences, start=False),
            "by padding with the [end] id instead of 0": wrapped(sentences, pad_id=END),
            "by padding with the [start] id instead of 0": wrapped(sentences, pad_id=START),
        }
        expect_equal(
            rows,
            expected,
            call,
            case=f"{case}, as words: {words_of(expected)}",
            mistakes=wrapping.named(rows, expected, mistakes),
            axes=("sentence", "position"),
        )

        targets = np.array(expected, dtype=np.int64)
        before = targets.copy()
        got = learner.call("teacher_forcing", targets, case=f"{case}: targets {expected}")
        if not np.array_equal(targets, before):
            raise CheckFailed(f"case: {case}\nteacher_forcing changed the targets array it was given.")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(
                f"case: {case}\nteacher_forcing should return a pair (decoder_input, decoder_target); "
                f"it returned {type(got).__name__}: {got!r}"
            )
        want_in, want_out = shifted(targets)
        wrong = {
            "without the shift: target and input are the same, so the model would learn to copy its input": shifted(
                targets, no_shift=True
            ),
            "by shifting the wrong way: the input must begin with [start], the target must end with [end]": shifted(
                targets, swap=True
            ),
            "by deleting [start] and [end] by value instead of cutting a column (a shorter sentence's [end] "
            "stays in its input, where the target is padding)": shifted(targets, by_value=True),
        }
        for i, (what, want) in enumerate((("decoder_input", want_in), ("decoder_target", want_out))):
            rows = id_rows(got[i], f"teacher_forcing's {what}", case)
            expect_equal(
                rows,
                want,
                f"teacher_forcing(targets)'s {what}",
                case=f"{case}; the targets as words: {words_of(expected)}",
                axes=("sentence", "position"),
                mistakes=shifting.named(rows, want, {text: pair[i] for text, pair in wrong.items()}),
            )
    # another vocabulary: [start] and [end] come last, so their ids are not lesson 05's 3 and 4
    start_id, end_id = len(WORDS), len(WORDS) + 1
    sentences = [ids_of("je suis froid ."), ids_of("il pleut")]
    case = f"another vocabulary, where [start] is {start_id} and [end] is {end_id}"
    got = learner.call("add_start_end", [list(ids) for ids in sentences], start_id, end_id, case=case)
    expected = wrapped(sentences, start_id=start_id, end_id=end_id)
    rows = id_rows(got, "add_start_end", case)
    mistakes = {
        f"by writing lesson 05's ids {START} and {END} instead of the start_id and end_id arguments": wrapped(sentences)
    }
    expect_equal(
        rows,
        expected,
        f"add_start_end({sentences}, start_id={start_id}, end_id={end_id})",
        case=case,
        axes=("sentence", "position"),
        mistakes=wrapping.named(rows, expected, mistakes),
    )
    return (
        f"add_start_end pads [start] ... [end] with zeros at the end and teacher_forcing shifts by one column, "
        f"on {len(CASES)} batches of French sentences "
        "and with other [start]/[end] ids; both give int arrays."
    )
