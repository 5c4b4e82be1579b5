"""A seccomp filter for the child: the few system calls that reach state outliving it fail.

Kernel keyrings are kept per user (and the session keyring is shared with the grader and its
other children); POSIX message queues outlive their process. No grading needs either, so
those calls fail with EPERM. A call through a foreign ABI (32-bit or x32, whose numbers
differ) kills the process, so the filter cannot be bypassed that way.
"""

from __future__ import annotations

import ctypes
import functools
import os

from grader.sandbox.host import PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, libc

# machine -> (AUDIT_ARCH value, blocked syscall numbers: add_key, request_key, keyctl, mq_*).
_BLOCKED_SYSCALLS = {
    "x86_64": (0xC000003E, (240, 241, 242, 243, 244, 245, 248, 249, 250)),
    "aarch64": (0xC00000B7, (180, 181, 182, 183, 184, 185, 217, 218, 219)),
}


class SockFilter(ctypes.Structure):
    """``struct sock_filter``: one classic BPF instruction."""

    _fields_ = (("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32))


class SockFprog(ctypes.Structure):
    """``struct sock_fprog``: a BPF program, as ``prctl(PR_SET_SECCOMP)`` takes it."""

    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter)))


def seccomp_program() -> SockFprog | None:
    """A seccomp BPF filter: EPERM for the blocked syscalls, the process killed for a foreign
    ABI (32-bit or x32 calls, whose numbers differ); None on an unknown machine."""
    machine = os.uname().machine
    if machine not in _BLOCKED_SYSCALLS:
        return None
    arch, numbers = _BLOCKED_SYSCALLS[machine]
    ld_abs, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny, kill = 0x7FFF0000, 0x00050000 | 1, 0x80000000  # RET_ALLOW, RET_ERRNO|EPERM, RET_KILL_PROCESS
    n = len(numbers)
    code = [(ld_abs, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, kill), (ld_abs, 0, 0, 0)]  # A = arch; A = nr
    if machine == "x86_64":
        code.append((jge, n + 2, 0, 0x40000000))  # x32 ABI: past the checks, the allow and the deny, to a kill
    code += [(jeq, n - i, 0, nr) for i, nr in enumerate(numbers)]  # each to the deny
    code += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    if machine == "x86_64":
        code.append((ret, 0, 0, kill))
    filters = (SockFilter * len(code))(*[SockFilter(*c) for c in code])
    prog = SockFprog(len(code), filters)
    prog._keep = filters  # type: ignore[attr-defined]  # the array must outlive the struct
    return prog


def install(prog: SockFprog) -> bool:
    """Install ``prog`` in this process (no new privileges first, as the kernel requires); in a forked child."""
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0


@functools.cache
def seccomp_available() -> bool:
    """Whether a seccomp filter can be installed here (tried once, in a fork)."""
    prog = seccomp_program()
    if prog is None:
        return False
    pid = os.fork()
    if pid == 0:  # pragma: no cover - in the forked probe
        os._exit(0 if install(prog) else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0
