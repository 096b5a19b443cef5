# RIGHT: plain dicts and loops, no Counter.
def ngrams(words, n):
    out = []
    i = 0
    while i + n <= len(words):
        out.append(tuple(words[i:i + n]))
        i += 1
    return out

def _count(items):
    d = {}
    for it in items:
        d[it] = d.get(it, 0) + 1
    return d

def clipped_matches(hypothesis, references, n):
    hyp = _count(ngrams(hypothesis.split(), n))
    matched = 0
    for gram, c in hyp.items():
        best = 0
        for r in references:
            best = max(best, _count(ngrams(r.split(), n)).get(gram, 0))
        matched += min(c, best)
    return int(matched), int(sum(hyp.values()))
