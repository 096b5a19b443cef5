# RIGHT: vectorised bookkeeping with masks, then trims each row at its first [end].
import numpy as np
def greedy_decode(step, state, batch_size, start_id, end_id, max_length):
    tokens = np.full(batch_size, start_id, dtype=np.int64)
    history = []
    alive = np.ones(batch_size, dtype=bool)
    for _ in range(max_length):
        log_probs, state = step(tokens, state)
        tokens = np.asarray(log_probs).argmax(axis=-1)
        history.append(np.where(alive, tokens, end_id))
        alive &= tokens != end_id
        if not alive.any():
            break
    result = []
    for r in range(batch_size):
        row = []
        for t in history:
            if t[r] == end_id:
                break
            row.append(int(t[r]))
        result.append(row)
    return result
