# WRONG: counts distinct n-grams: each distinct hypothesis n-gram matched at most once, and the total is the number of distinct n-grams. Distinguishing: "the the cat", ["the the cat"], n=1 -> (2,2) vs (3,3).

from collections import Counter
def ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]

def clipped_matches(hypothesis, references, n):
    hyp = set(ngrams(hypothesis.split(), n))
    ref = set(g for r in references for g in ngrams(r.split(), n))
    return len(hyp & ref), len(hyp)
