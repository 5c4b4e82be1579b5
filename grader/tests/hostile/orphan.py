"""Attack, for a grader killed mid-way: scale starts a process that leaves the process group
(setsid) and lives for two minutes, then hangs. After the grader is killed, that process must
not see (or touch) the next grading of the same slot. add is honest.

The next grading runs ``observer``-style code (see the test), which counts the processes of
its own user that are not its own.
"""

import os
import time


def add(a, b):
    return a + b


def scale(x, s):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(120)
        os._exit(0)
    time.sleep(60)
    return x * s


def row_sums(x):
    return x.sum(axis=1)
