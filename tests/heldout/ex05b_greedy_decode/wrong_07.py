# WRONG: never passes the new state back (always calls step with the initial state). Distinguishing: a model whose output depends on a step counter in its state.
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    tokens = np.full(batch_size, start_id)
    written = [[] for _ in range(batch_size)]
    finished = np.zeros(batch_size, dtype=bool)
    for _ in range(max_length):
        log_probs, _new_state = step(tokens, state)
        tokens = np.argmax(log_probs, axis=-1)
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
