"""Attack: leave answers where a later (or a concurrent) grading can pick them up, in places that
outlive a process: the kernel keyrings (the session keyring the child shares with the grader,
its user's keyring) and POSIX message queues (the syscalls, and a file in /dev/mqueue when
that is mounted, as in Docker). add is honest (3 points); scale and row_sums are not written.

It prints "KEYRING <result>", "MQUEUE <result>" and "MQFILE <result>"; a result is ADDED or
BLOCKED <errno name>.
"""

import ctypes
import errno
import os
import platform

# add_key, keyctl and mq_open by machine (the same numbers the grader blocks).
_NR = {"x86_64": (248, 250, 240), "aarch64": (217, 219, 180)}
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4
_libc = ctypes.CDLL(None, use_errno=True)


def _result(ret):
    if ret >= 0:
        return "ADDED"
    return f"BLOCKED {errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())}"


def _stash():
    add_key, _keyctl, mq_open = _NR.get(platform.machine(), (None, None, None))
    if add_key is None:
        print("KEYRING BLOCKED unknown machine", flush=True)
        return
    syscall = _libc.syscall
    syscall.restype = ctypes.c_long
    payload = b"answers: 42"
    for ring in (KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING):
        ret = syscall(add_key, b"user", b"grader-stash", payload, len(payload), ring)
        print("KEYRING", _result(ret), flush=True)
    ret = syscall(mq_open, b"grader-stash", os.O_CREAT | os.O_RDWR, 0o666, None)
    print("MQUEUE", _result(ret), flush=True)
    if os.path.isdir("/dev/mqueue"):
        try:
            fd = os.open("/dev/mqueue/grader-stash-file", os.O_CREAT | os.O_RDWR, 0o666)
            os.close(fd)
            print("MQFILE ADDED", flush=True)
        except OSError as exc:
            print("MQFILE BLOCKED", errno.errorcode.get(exc.errno, exc.errno), flush=True)


_stash()


def add(a, b):
    return a + b


def scale(x, s):
    raise NotImplementedError("scale")


def row_sums(x):
    raise NotImplementedError("row_sums")
