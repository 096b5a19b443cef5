# RIGHT: keras.ops.multiply and keras.ops.add, nested unpacking in one line.
import keras
import numpy as np
def combine(first, second):
    (a1, b1), (a2, b2) = first, second
    a = keras.ops.multiply(a2, a1)
    b = keras.ops.add(b2, keras.ops.multiply(a2, b1))
    return (a, b)
