# WRONG: splits on " " (str.split(" ")), so a caption with two spaces in a row gets an empty-string word. Distinguishing: "a  cat" (double space), ["a cat"], n=1 -> (2,3) vs (2,2).
from collections import Counter
def ngrams(words, n):
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]

def clipped_matches(hypothesis, references, n):
    counts = Counter(ngrams(hypothesis.split(" "), n))
    most = Counter()
    for reference in references:
        for gram, count in Counter(ngrams(reference.split(" "), n)).items():
            most[gram] = max(most[gram], count)
    return sum(min(c, most[g]) for g, c in counts.items()), sum(counts.values())
