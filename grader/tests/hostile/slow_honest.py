"""Not an attack: the reference, slowed down, printing its uid. Worth 6 when left alone."""

import os
import time

print(f"UID {os.getuid()}", flush=True)


def add(a, b):
    time.sleep(0.5)
    return a + b


def scale(x, s):
    time.sleep(0.5)
    return x * s


def row_sums(x):
    time.sleep(0.5)
    return x.sum(axis=1)
