"""Attack: monkey-patch NumPy in the child so every check says "equal". add is honest (3).

scale and row_sums return zeros of the right shape.
"""

import numpy as np

_load = np.load


def _yes(*args, **kwargs):
    return True


def _no_problem(*args, **kwargs):
    return None


def _never(x, *args, **kwargs):
    return np.zeros(np.shape(x), dtype=bool)


def _load_with_pickle(*args, **kwargs):
    kwargs["allow_pickle"] = True
    return _load(*args, **kwargs)


np.allclose = _yes
np.array_equal = _yes
np.array_equiv = _yes
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast_shapes(np.shape(a), np.shape(b)), dtype=bool)
np.testing.assert_allclose = _no_problem
np.testing.assert_array_equal = _no_problem
np.isnan = _never
np.isinf = _never
np.load = _load_with_pickle


def add(a, b):
    return a + b


def scale(x, s):
    return np.zeros_like(x)


def row_sums(x):
    return np.zeros(x.shape[0])
