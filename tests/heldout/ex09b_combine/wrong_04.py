# WRONG: unpacks first as the two a's and second as the two b's. Distinguishing: any two steps (not associative either).
import keras
import numpy as np
def combine(first, second):
    a1, a2 = first
    b1, b2 = second
    return a1 * a2, a2 * b1 + b2
