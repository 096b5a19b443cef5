# RIGHT: written as "apply the second step to the first step's b", with a small helper.
import keras
import numpy as np
def apply(step, h):
    a, b = step
    return a * h + b

def combine(first, second):
    a1, b1 = first
    a2, _ = second
    return a1 * a2, apply(second, b1)
