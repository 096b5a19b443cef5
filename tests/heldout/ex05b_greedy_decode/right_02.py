# RIGHT: while loop with a set of finished rows.
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    out = {r: [] for r in range(batch_size)}
    done = set()
    feed = np.array([start_id] * batch_size)
    steps = 0
    while steps < max_length and len(done) < batch_size:
        scores, state = step(feed, state)
        steps += 1
        feed = np.array([int(np.argmax(scores[r])) for r in range(batch_size)])
        for r in range(batch_size):
            if r in done:
                continue
            if feed[r] == end_id:
                done.add(r)
            else:
                out[r].append(int(feed[r]))
    return [out[r] for r in range(batch_size)]
