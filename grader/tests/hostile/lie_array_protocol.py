"""Attack: objects that convert to the wrong thing. scale is honest (2 points).

add returns an object whose __array__ gives zeros of the right shape and whose __eq__ says
True; row_sums returns a dict subclass that claims to be the answer.
"""

import numpy as np


class Zeros:
    def __init__(self, shape):
        self.shape = shape

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape, dtype=dtype)

    def __eq__(self, other):
        return True

    __hash__ = None


class LyingDict(dict):
    def __eq__(self, other):
        return True

    __hash__ = None

    def __array__(self, dtype=None, copy=None):
        return np.zeros(4, dtype=dtype)


def add(a, b):
    return Zeros(np.broadcast_shapes(a.shape, b.shape))


def scale(x, s):
    return x * s


def row_sums(x):
    return LyingDict(out=np.zeros(x.shape[0]))
