# WRONG: keeps the [end] token in the output. Distinguishing: a model that writes 5 then end -> [5, end] vs [5].
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    tokens = np.full(batch_size, start_id)
    written = [[] for _ in range(batch_size)]
    finished = np.zeros(batch_size, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        tokens = np.argmax(log_probs, axis=-1)
        for row, token in enumerate(tokens):
            if not finished[row]:
                written[row].append(int(token))
                finished[row] = token == end_id
        if finished.all():
            break
    return written
