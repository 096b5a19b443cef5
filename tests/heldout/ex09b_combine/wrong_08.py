# WRONG: both parts stacked into one tensor of shape (2, ...). Distinguishing: any call (associative_scan needs the pair's structure back).
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return keras.ops.stack([a1 * a2, a2 * b1 + b2])
