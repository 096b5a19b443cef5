# WRONG: computes A and B but forgets the return. Distinguishing: any call (None).
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    A = a1 * a2
    B = a2 * b1 + b2
