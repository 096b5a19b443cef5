# WRONG: returns three items, the combined step and the second step's b (a list of the wrong length). Distinguishing: any call.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return [a1 * a2, a2 * b1, b2]
