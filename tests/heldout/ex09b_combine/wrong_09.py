# WRONG: returns (B, A) instead of (A, B). Distinguishing: any two steps.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    B = a2 * b1 + b2
    A = a1 * a2
    return B, A
