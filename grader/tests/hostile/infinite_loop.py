"""Attack: scale never returns; add and row_sums are honest (4 points)."""


def add(a, b):
    return a + b


def scale(x, s):
    while True:
        pass


def row_sums(x):
    return x.sum(axis=1)
