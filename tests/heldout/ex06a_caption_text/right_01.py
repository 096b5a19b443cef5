# RIGHT: itertools.takewhile then a filter.
from itertools import takewhile
def caption_text(ids, words, start_id, end_id):
    kept = takewhile(lambda i: i != end_id, (int(i) for i in ids))
    return " ".join(words[i] for i in kept if i != 0 and i != start_id)
