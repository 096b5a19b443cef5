# WRONG: a trailing comma makes the result a tuple of ONE item, ((A, B),). Distinguishing: any call (associative_scan needs two leaves).
import keras
import numpy as np
def combine(first, second):
    a1, b1 = first
    a2, b2 = second
    return (a1 * a2, a2 * b1 + b2),
