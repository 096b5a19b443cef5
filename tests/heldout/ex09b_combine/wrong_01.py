# WRONG: the steps in the wrong order, B = a1 * b2 + b1 (second applied before first). Distinguishing: a1 != a2 or b1 != b2.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a1 * b2 + b1
