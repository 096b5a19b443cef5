# WRONG: n-grams as space-joined strings instead of tuples. Distinguishing: ngrams(["a","b"], 2) -> ["a b"] vs [("a","b")].
from collections import Counter
def ngrams(words, n):
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]

def clipped_matches(hypothesis, references, n):
    counts = Counter(ngrams(hypothesis.split(), n))
    most = Counter()
    for reference in references:
        for gram, count in Counter(ngrams(reference.split(), n)).items():
            most[gram] = max(most[gram], count)
    return sum(min(c, most[g]) for g, c in counts.items()), sum(counts.values())
