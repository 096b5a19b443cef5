# WRONG: no clipping: counts every hypothesis n-gram that occurs in any reference. Distinguishing: "the the the", ["the cat"], n=1 -> (3,3) vs (1,3).

from collections import Counter
def ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]

def clipped_matches(hypothesis, references, n):
    grams = ngrams(hypothesis.split(), n)
    ref = set(g for r in references for g in ngrams(r.split(), n))
    return sum(1 for g in grams if g in ref), len(grams)
