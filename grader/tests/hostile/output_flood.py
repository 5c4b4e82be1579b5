"""Attack: print hundreds of MB. All three functions are honest (6 points).

scale prints 150 MB through print() and 50 MB to stderr; row_sums writes 100 MB straight to
file descriptor 1.
"""

import os
import sys


def add(a, b):
    return a + b


def scale(x, s):
    line = "A" * (2**20 - 1)
    for _ in range(150):
        print(line)
    for _ in range(50):
        sys.stderr.write(line + "\n")
    return x * s


def row_sums(x):
    block = b"B" * 2**20
    for _ in range(100):
        os.write(1, block)
    return x.sum(axis=1)
