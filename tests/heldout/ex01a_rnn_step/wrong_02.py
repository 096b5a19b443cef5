# WRONG: forgets the bias b_h. Distinguishing: any b_h != 0, e.g. all zeros weights/inputs and b_h=[1,1].
import numpy as np
def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_hh @ h_prev + W_xh @ x)
