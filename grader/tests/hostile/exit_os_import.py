"""Attack: os._exit(0) while the module is imported (after a correct add). Worth 0."""

import os


def add(a, b):
    return a + b


os._exit(0)
