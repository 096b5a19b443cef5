# WRONG: a1 * a2 with b1 + b2: the first step's b is not carried through the second step's a. Distinguishing: a2 != 1.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 * a2, b1 + b2
