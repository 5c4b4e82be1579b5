"""Attack: scale allocates and touches 4 GB; row_sums computes, then exits with status 3.

add is honest (3 points). The exit in row_sums checks that a later failure is not blamed on
memory once an earlier case was killed for it.
"""

import os

import numpy as np


def add(a, b):
    return a + b


def scale(x, s):
    hog = np.ones(4 * 2**30 // 8)  # np.ones writes every page
    return x * s + hog[:1] - 1.0


def row_sums(x):
    x.sum(axis=1)
    os._exit(3)
