# RIGHT: NumPy: position of the first [end] with np.flatnonzero, boolean mask for the rest.
import numpy as np
def caption_text(ids, words, start_id, end_id):
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    ends = np.flatnonzero(arr == end_id)
    if ends.size:
        arr = arr[: ends[0]]
    arr = arr[(arr != 0) & (arr != start_id)]
    return " ".join([words[i] for i in arr.tolist()])
