# RIGHT: ngrams via zip of shifted lists; clipping via Counter | (max) and & (min).
from collections import Counter
from functools import reduce
def ngrams(words, n):
    words = list(words)
    if len(words) < n:
        return []
    return list(zip(*(words[i:] for i in range(n))))

def clipped_matches(hypothesis, references, n):
    hyp = Counter(ngrams(hypothesis.split(), n))
    best = reduce(lambda a, b: a | b, (Counter(ngrams(r.split(), n)) for r in references), Counter())
    return sum((hyp & best).values()), sum(hyp.values())
