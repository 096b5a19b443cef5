# WRONG: no memory of finished rows: words written after [end] are still collected (end itself skipped). Distinguishing: batch 2, row 0 writes end then keeps writing 5 while row 1 is unfinished.
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    tokens = np.full(batch_size, start_id)
    written = [[] for _ in range(batch_size)]
    seen_end = np.zeros(batch_size, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        tokens = log_probs.argmax(axis=1)
        seen_end |= tokens == end_id
        for row, token in enumerate(tokens):
            if token != end_id:
                written[row].append(int(token))
        if seen_end.all():
            break
    return written
