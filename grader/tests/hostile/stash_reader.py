"""Attack, second half: use what an earlier grading left behind. add is honest (3 points).

scale and row_sums come from stash_writer.py's files in the world-writable folders or its
System V shared memory segment when either can be read, else they return zeros.
"""

import ctypes
import os

import numpy as np

NAME = "hostile_stash.py"
KEY = 0x5EC2E7
FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def _stashed():
    for folder in FOLDERS:
        try:
            with open(os.path.join(folder, NAME)) as fh:
                print("FOUND", folder, flush=True)
                return fh.read()
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    shmid = libc.shmget(KEY, 0, 0)
    if shmid >= 0:
        addr = libc.shmat(shmid, None, 0o10000)  # SHM_RDONLY
        if addr not in (None, ctypes.c_void_p(-1).value):
            print("FOUND shm", flush=True)
            return ctypes.string_at(addr).decode()
    print("NOTHING FOUND", flush=True)
    return None


def _load():
    code = _stashed()
    namespace = {}
    if code:
        exec(code, namespace)
    return namespace


def add(a, b):
    return a + b


def scale(x, s):
    impl = _load().get("scale")
    return impl(x, s) if impl else np.zeros_like(x)


def row_sums(x):
    impl = _load().get("row_sums")
    return impl(x) if impl else np.zeros(x.shape[0])
