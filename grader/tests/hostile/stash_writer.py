"""Attack, first half: leave the answers behind for a later grading. Honest (6 points).

Besides computing everything right, it writes its scale and row_sums, readable by anyone, to
every world-writable folder (/tmp, /var/tmp, /dev/shm, /run/lock) and into a System V shared
memory segment, which outlives the process. stash_reader.py looks for them.
"""

import contextlib
import ctypes
import os

CODE = b"def scale(x, s):\n    return x * s\n\n\ndef row_sums(x):\n    return x.sum(axis=1)\n"
NAME = "hostile_stash.py"
KEY = 0x5EC2E7  # System V IPC key the reader uses too
FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def _stash():
    for folder in FOLDERS:
        with contextlib.suppress(OSError):
            path = os.path.join(folder, NAME)
            with open(path, "wb") as fh:
                fh.write(CODE)
            os.chmod(path, 0o644)
            print("STASHED", path, flush=True)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    shmid = libc.shmget(KEY, 4096, 0o1000 | 0o666)  # IPC_CREAT, readable by all
    if shmid >= 0:
        addr = libc.shmat(shmid, None, 0)
        if addr not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(addr, CODE + b"\0", len(CODE) + 1)
            print("STASHED shm", flush=True)


def add(a, b):
    return a + b


def scale(x, s):
    _stash()
    return x * s


def row_sums(x):
    return x.sum(axis=1)
