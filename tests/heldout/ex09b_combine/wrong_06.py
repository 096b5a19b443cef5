# WRONG: a2 * (b1 + b2): b2 multiplied by a2 too (not associative). Distinguishing: a2 != 1.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, a2 * (b1 + b2)
