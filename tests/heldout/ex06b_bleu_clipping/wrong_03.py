# WRONG: ngrams loop range(len(words) - n) misses the last n-gram. Distinguishing: ngrams(["a","b"], 1) -> [("a",)] vs [("a",),("b",)].
from collections import Counter
def ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n)]

def clipped_matches(hypothesis, references, n):
    counts = Counter(ngrams(hypothesis.split(), n))
    most = Counter()
    for reference in references:
        for gram, count in Counter(ngrams(reference.split(), n)).items():
            most[gram] = max(most[gram], count)
    return sum(min(c, most[g]) for g, c in counts.items()), sum(counts.values())
