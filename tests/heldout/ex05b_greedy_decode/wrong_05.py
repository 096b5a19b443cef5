# WRONG: stops as soon as any sentence writes [end]. Distinguishing: batch 2, row 0 ends at step 1, row 1 needs 3 steps.
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
        if finished.any():
            break
    return written
