# WRONG: the a's added (log-space habit), a1 + a2; B right. Distinguishing: any h0 != 0, or A compared directly.
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return a1 + a2, a2 * b1 + b2
