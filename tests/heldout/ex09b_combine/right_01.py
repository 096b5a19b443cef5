# RIGHT: indexing instead of unpacking, and a list [A, B] returned.
import keras
import numpy as np
def combine(first, second):
    A = first[0] * second[0]
    B = second[0] * first[1] + second[1]
    return [A, B]
