# WRONG: feeds [start] at every step instead of the previous word. Distinguishing: a step whose next word depends on the input token.
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    written = [[] for _ in range(batch_size)]
    done = [False] * batch_size
    for _ in range(max_length):
        log_probs, state = step(np.full(batch_size, start_id), state)
        best = np.argmax(log_probs, axis=-1)
        for r in range(batch_size):
            if done[r]:
                continue
            if best[r] == end_id:
                done[r] = True
            else:
                written[r].append(int(best[r]))
        if all(done):
            break
    return written
