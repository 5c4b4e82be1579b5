"""What the sandbox needs from this machine: libc, the kernel's flag values, and its policy
on a missing feature (strict: an error; otherwise one note on stderr, never silence)."""

from __future__ import annotations

import ctypes
import os
import sys

# unshare(2) and mount(2) flags, from <sched.h> and <sys/mount.h>; Python 3.11 has no os.unshare.
CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000  # System V IPC and POSIX queues outlive a process: keep them per child
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
# prctl(2) options, from <linux/prctl.h> and <linux/seccomp.h>.
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")  # writable by every user

libc = ctypes.CDLL(None, use_errno=True)
_warned: set[str] = set()


class SandboxError(RuntimeError):
    """The sandbox cannot be set up; the message says what is wrong and how to fix it."""


def is_root() -> bool:
    """Whether this process runs as root, the only case where the full sandbox is possible."""
    return os.geteuid() == 0


def strict() -> bool:
    """In strict mode (``$GRADER_STRICT``: tests, CI) a missing isolation feature is an error, never a fallback."""
    return os.environ.get("GRADER_STRICT", "") not in ("", "0")


def warn_once(key: str, message: str) -> None:
    """Print a note to stderr the first time, so a weaker sandbox is never silent."""
    if key not in _warned:
        _warned.add(key)
        print(f"grader: note: {message}", file=sys.stderr)


def mount_tmpfs(path: bytes, options: bytes, flags: int = MS_NOSUID | MS_NODEV) -> int:
    """mount(2) a tmpfs at ``path``; 0 on success, else -1 with errno set (safe in a forked child)."""
    return libc.mount(b"tmpfs", path, b"tmpfs", flags, options)


def unmount(path: bytes) -> int:
    """Detach the mount at ``path`` (lazily, as ``umount -l``); 0 on success."""
    return libc.umount2(path, MNT_DETACH)
