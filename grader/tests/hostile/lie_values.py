"""Attack: right shape, wrong kind of data. Worth 0.

add returns NaN everywhere; scale returns the right numbers in an object array; row_sums
returns the right numbers as complex.
"""

import numpy as np


def add(a, b):
    return np.full(np.broadcast_shapes(a.shape, b.shape), np.nan)


def scale(x, s):
    return np.array([float(v) * s for v in x], dtype=object)


def row_sums(x):
    return x.sum(axis=1).astype(np.complex128)
