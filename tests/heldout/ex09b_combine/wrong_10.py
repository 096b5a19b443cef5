# WRONG: updates the first step in place (a1 *= a2 on NumPy arrays): right values, but the caller's arrays change. Distinguishing: NumPy inputs, compared after the call.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    b1 *= a2
    b1 += b2
    a1 *= a2
    return a1, b1
