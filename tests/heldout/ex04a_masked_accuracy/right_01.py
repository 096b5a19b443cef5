# RIGHT: explicit loops over sentences and positions.
import numpy as np
def masked_token_accuracy(y_true, y_pred, pad_id=0):
    correct = total = 0
    for tags, scores in zip(y_true, y_pred):
        for tag, score in zip(tags, scores):
            if tag == pad_id:
                continue
            total += 1
            correct += int(np.argmax(score) == tag)
    return correct / total if total else 0.0
