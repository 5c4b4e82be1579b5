"""Not quite an attack: the reference, but add leaves a (non-daemon) thread sleeping for ten
minutes. Worth 6; the grading must end when the last case is done, not when the thread does."""

import threading
import time

_started = []


def add(a, b):
    if not _started:
        _started.append(threading.Thread(target=time.sleep, args=(600,), daemon=False))
        _started[0].start()
    return a + b


def scale(x, s):
    return x * s


def row_sums(x):
    return x.sum(axis=1)
