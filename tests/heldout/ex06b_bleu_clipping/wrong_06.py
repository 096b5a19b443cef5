# WRONG: overwrites the max count with the last reference's count (most[g] = count instead of max). Distinguishing: "the the", ["the the", "the"], n=1 -> (1,2) vs (2,2).

from collections import Counter
def ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]

def clipped_matches(hypothesis, references, n):
    counts = Counter(ngrams(hypothesis.split(), n))
    most = {}
    for reference in references:
        for gram, count in Counter(ngrams(reference.split(), n)).items():
            most[gram] = count
    return sum(min(c, most.get(g, 0)) for g, c in counts.items()), sum(counts.values())
