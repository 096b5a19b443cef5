# WRONG: argmax over axis 0 (the batch) instead of the vocabulary; only runs when batch_size == vocabulary. Distinguishing: batch 2, vocab 2, log_probs [[0,-1],[-1,0]] vs [[ -1,0],[0,-1]] ordering.
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    tokens = np.full(batch_size, start_id)
    written = [[] for _ in range(batch_size)]
    finished = np.zeros(batch_size, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        tokens = np.argmax(log_probs, axis=0)
        for row, token in enumerate(tokens):
            if finished[row]:
                continue
            if token == end_id:
                finished[row] = True
            else:
                written[row].append(int(token))
        if finished.all():
            break
    return written
