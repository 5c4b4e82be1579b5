"""Attack: sys.exit(0) while the module is imported (after a correct add). Worth 0."""

import sys


def add(a, b):
    return a + b


sys.exit(0)
