# WRONG: never stops early: always calls step max_length times even when every sentence is finished. Distinguishing: a model writing end at step 1 with max_length=10 -> 10 calls instead of 1 (same words).
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    tokens = np.full(batch_size, start_id)
    written = [[] for _ in range(batch_size)]
    finished = np.zeros(batch_size, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        tokens = np.argmax(log_probs, axis=-1)
        for row, token in enumerate(tokens):
            if finished[row]:
                continue
            if token == end_id:
                finished[row] = True
            else:
                written[row].append(int(token))
    return written
