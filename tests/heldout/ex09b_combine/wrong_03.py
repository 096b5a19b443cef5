# WRONG: the wrong element taken as the earlier step (a1, b1 = second; a2, b2 = first). Distinguishing: two different steps.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = second
    a2, b2 = first
    return a1 * a2, a2 * b1 + b2
