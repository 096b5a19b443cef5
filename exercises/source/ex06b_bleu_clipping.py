"""Exercise ex06b (lesson 06): BLEU's clipped n-gram matches.

BLEU scores a caption by how many of its n-grams (runs of n words) also occur in the
reference captions. Counted naively, a caption can cheat: "a a a a a a" has six unigrams,
and every one of them is in a reference that contains "a", so its unigram precision would
be 6/6. BLEU therefore *clips* each n-gram's count: an n-gram is counted at most as many
times as it occurs in the one reference where it occurs most often.

    caption:     the the the the the the the                      (7 unigrams)
    references:  the cat is on the mat  /  there is a cat on the mat
    "the" occurs 2 times in the first reference, 1 in the second: at most 2 count.
    clipped matches 2, total 7: unigram precision 2/7

BLEU-4 combines these precisions for n = 1 to 4 (each added up over all the captions of the
test set, then their geometric mean, times a penalty for short captions). Lesson 06 gets them
from sacreBLEU; the course's tests check that this exercise's counts are the ones it makes.

    words       a list of words
    n           the n-gram length, >= 1
    hypothesis  the model's caption, a string of words separated by whitespace (there may be
                more than one space between words, or spaces before and after them: none of
                that makes a word; str.split() with no argument splits such a string)
    references  a list of reference captions, strings of the same kind

Your tasks: write `ngrams` (the list of n-grams of `words`, in order, each a tuple of n words)
and `clipped_matches` (a pair of ints: the clipped number of the hypothesis's n-grams found
in the references, and the number of its n-grams). A caption shorter than n has no n-grams: (0, 0).
Check it:  make check EX=ex06b        Stuck?  make hint EX=ex06b
"""

from collections import Counter


def ngrams(words, n):
    """Every run of n consecutive words, in order, as a tuple."""
    # TODO: one tuple per start position i; how many start positions are there?
    # BEGIN SOLUTION
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    # END SOLUTION


def clipped_matches(hypothesis, references, n):
    """(clipped matches, total) for the n-grams of the hypothesis against the references."""
    # TODO: count the hypothesis's n-grams (Counter); for each n-gram, the most times it occurs
    #       in any one reference; add up min(count, most) and the total count.
    # BEGIN SOLUTION
    counts = Counter(ngrams(hypothesis.split(), n))
    most = Counter()
    for reference in references:
        for gram, count in Counter(ngrams(reference.split(), n)).items():
            most[gram] = max(most[gram], count)
    matches = sum(min(count, most[gram]) for gram, count in counts.items())
    return matches, sum(counts.values())
    # END SOLUTION
