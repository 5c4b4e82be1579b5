"""Attack: add returns zeros in an ndarray subclass that says "equal" to everything.

__eq__, __ne__, __bool__, __array_ufunc__ and __array_function__ all lie (np.allclose,
np.array_equal, np.isnan... answer what a naive checker wants). scale and row_sums are
honest (3 points).
"""

import numpy as np


class Liar(np.ndarray):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    __hash__ = None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc in (np.isnan, np.isinf):
            return np.zeros(self.shape, dtype=bool)
        return np.ones(self.shape, dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True


def add(a, b):
    return np.zeros(np.broadcast_shapes(a.shape, b.shape)).view(Liar)


def scale(x, s):
    return x * s


def row_sums(x):
    return x.sum(axis=1)
