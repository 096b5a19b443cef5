"""Check for ex06b: n-grams, then BLEU's clipped matches on captions with five references, for n = 1..4,
repeated words and captions shorter than n. The tests check the reference against sacreBLEU's counts."""

from exercises.checking import CheckFailed, Suspects, expect_equal

TITLE = "BLEU's clipped n-gram matches"
HINTS = (
    "A list of words has len(words) - n + 1 n-grams (none when that is 0 or less): words[i:i + n] for each "
    "start i, made a tuple so that it can be counted. For clipped_matches, collections.Counter counts the "
    "hypothesis's n-grams; for each reference count its n-grams too, and remember for each n-gram the "
    "LARGEST count in any single reference. An n-gram then matches min(its count, that largest count) times.",
    "    counts = Counter(ngrams(hypothesis.split(), n))\n"
    "    most = Counter()                                  # n-gram -> most times in one reference\n"
    "    for reference in references:\n"
    "        for gram, count in Counter(ngrams(reference.split(), n)).items():\n"
    "            most[gram] = max(most[gram], ...)\n"
    "    matches = sum(min(count, ...) for gram, count in counts.items())\n"
    "    return matches, sum(counts.values())",
)
DOG = [  # five reference captions for one photo, written the way Flickr8k's are
    "a brown dog runs through the grass",
    "a dog is running across a grassy field",
    "the dog runs on the grass next to a fence",
    "a brown and white dog running in a field",
    "a dog runs in the grass with a ball in its mouth",
]
CAT = ["the cat is on the mat", "there is a cat on the mat"]
CASES = [  # (description, hypothesis, references, n)
    ("a good caption, unigrams", "a dog runs through the grass", DOG, 1),
    ("a good caption, bigrams", "a dog runs through the grass", DOG, 2),
    ("a good caption, 4-grams", "a brown dog runs in the grass", DOG, 4),
    ("a repeated word is clipped", "the the the the the the the", CAT, 1),
    ('"the" three times: no one reference has it more than twice', "the dog and the ball and the grass", DOG, 1),
    ("a repeated bigram", "a dog runs a dog runs a dog", DOG, 2),
    ("one reference only", "a dog is running in a field", DOG[3:4], 1),
    ("a caption shorter than n", "a dog", DOG, 3),
    ("nothing in common", "two girls play football", CAT, 1),
    (
        '"man" is a word of its own, not the end of "woman"',
        "a man and a woman",
        ["a woman rides a horse", "the woman is smiling"],
        1,
    ),
    ('"man runs" is not in "woman runs"', "a man runs on the sand", ["a woman runs on the sand", "the human runs"], 2),
    ('"the cat" is not in "the catamaran"', "the cat sat on the boat", ["the catamaran sat on the water"], 2),
    (
        "extra spaces between and around words: they make no words",
        " a dog  runs on the   grass ",
        ["a dog runs  in the grass ", "  the dog is on the grass"],
        1,
    ),
    ("extra spaces, bigrams", "a  dog runs ", [" a dog runs", "the  dog  runs"], 2),
]
NGRAM_CASES = [
    ("a dog runs in the grass", 1),
    ("a dog runs in the grass", 2),
    ("a dog runs in the grass", 6),
    ("a dog", 3),
    ("", 1),
]


def reference_ngrams(words, n, *, last=True, as_lists=False, joined=False):
    stop = len(words) - n + (1 if last else 0)
    grams = [words[i : i + n] for i in range(max(stop, 0))]
    if joined:
        return [" ".join(g) for g in grams]
    return [list(g) for g in grams] if as_lists else [tuple(g) for g in grams]


def counts_of(words, n):
    counts = {}
    for gram in reference_ngrams(words, n):
        counts[gram] = counts.get(gram, 0) + 1
    return counts


def shown(text):
    """A caption in a message: as it is, or quoted when its spaces matter."""
    return repr(text) if "  " in text or text != text.strip() else text


def reference(hypothesis, references, n, *, clip=True, combine=max, first_only=False, unique=False, sep=None):
    counts = counts_of(hypothesis.split(sep), n)
    if unique:
        counts = {gram: 1 for gram in counts}
    most = {}
    for ref in references[:1] if first_only else references:
        for gram, count in counts_of(ref.split(sep), n).items():
            most[gram] = combine(most.get(gram, 0), count) if combine is max else most.get(gram, 0) + count
    if clip:
        matches = sum(min(count, most.get(gram, 0)) for gram, count in counts.items())
    else:
        matches = sum(count for gram, count in counts.items() if gram in most)
    return matches, sum(counts.values())


def as_pair(got):
    """The learner's (matches, total) as a tuple of ints, or something that shows what it was."""
    try:
        return tuple(int(v) for v in got)
    except (TypeError, ValueError):
        return got if got is None else repr(got)


def check(learner):
    for text, n in NGRAM_CASES:
        words = text.split()
        got = learner.call("ngrams", list(words), n, case=f"{words}, n={n}")
        if got is None:
            raise CheckFailed(f"ngrams({words}, {n}) returned None: did you forget the `return`?")
        got = list(got) if not isinstance(got, list) else got
        mistakes = {
            "by leaving out the last n-gram: there are len(words) - n + 1 of them": reference_ngrams(
                words, n, last=False
            ),
            (
                "with lists instead of tuples (a Counter can only count tuples: lists cannot be dictionary keys)"
            ): reference_ngrams(words, n, as_lists=True),
            "with strings instead of tuples of words": reference_ngrams(words, n, joined=True),
        }
        expect_equal(
            got, reference_ngrams(words, n), f"ngrams({words}, {n})", case=f"{text!r}, n={n}", mistakes=mistakes
        )
    suspects = Suspects(atol=None)  # a cause is named only when the evidence singles it out
    for case, hypothesis, references, n in CASES:
        label = f"{case}: {hypothesis!r}, {len(references)} references, n={n}"
        got = as_pair(learner.call("clipped_matches", hypothesis, list(references), n, case=label))
        if got is None:
            raise CheckFailed(f"case: {case}\nclipped_matches returned None: did you forget the `return`?")
        mistakes = {
            "without clipping: every n-gram found in a reference counts, however often it is repeated": reference(
                hypothesis, references, n, clip=False
            ),
            "by clipping with the count added up over all the references, instead of the most in any one": reference(
                hypothesis, references, n, combine=sum
            ),
            "by looking at the first reference only": reference(hypothesis, references, n, first_only=True),
            "by counting each different n-gram only once": reference(hypothesis, references, n, unique=True),
            'by splitting on single spaces, split(" "): extra spaces then make empty words ""': reference(
                hypothesis, references, n, sep=" "
            ),
        }
        expected = reference(hypothesis, references, n)
        refs = "\n".join(f"  reference: {shown(r)}" for r in references)
        expect_equal(
            got,
            expected,
            f"clipped_matches(..., n={n}) as (matches, total)",
            case=f"{case}\n  hypothesis: {shown(hypothesis)}\n{refs}",
            mistakes=suspects.named(got, expected, mistakes),
            again=lambda h=hypothesis, r=references, n=n, label=label: as_pair(
                learner.call_fresh("clipped_matches", h, list(r), n, case=label)
            ),
        )
    return (
        f"ngrams is right on {len(NGRAM_CASES)} cases and clipped_matches counts BLEU's clipped matches on "
        f"{len(CASES)} captions (n = 1 to 4, repeats, one reference, too short, words inside words, extra "
        "spaces)."
    )
