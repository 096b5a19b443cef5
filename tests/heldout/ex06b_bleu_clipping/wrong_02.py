# WRONG: clips with the total count over all references instead of the max in one reference. Distinguishing: "the the the", ["the cat", "the dog"], n=1 -> (2,3) vs (1,3).

from collections import Counter
def ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]

def clipped_matches(hypothesis, references, n):
    counts = Counter(ngrams(hypothesis.split(), n))
    total = Counter()
    for r in references:
        total.update(ngrams(r.split(), n))
    return sum(min(c, total[g]) for g, c in counts.items()), sum(counts.values())
