"""Namespaces and mounts: what the child sees of the file system, and no network.

As root, the child enters new network, mount and IPC namespaces (no network at all; no
System V or POSIX IPC shared with anyone), in which:
  - staff folders (the course repository, the expected outputs) are covered by an empty,
    read-only tmpfs;
  - the shared world-writable folders (/tmp, /dev/shm, ...) are private tmpfs mounts, so a
    file written there outlives neither the child nor reaches another grading, and counts
    against the child's memory cgroup;
  - a folder on the interpreter's way that other users cannot enter (/root, where pyenv
    puts Python) gets an empty tmpfs too, and the interpreter's folders are bound back, so
    the child can start Python;
  - its home is a private tmpfs of a size derived from the memory limit.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.host import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    MS_BIND,
    MS_NODEV,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    SHARED_FOLDERS,
    libc,
    mount_tmpfs,
)

NAMESPACES = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC


@functools.cache
def namespaces_available() -> bool:
    """Whether this process may create network, mount and IPC namespaces (tried once, in a fork)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - in the forked probe
        os._exit(0 if libc.unshare(NAMESPACES) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def interpreter_paths() -> list[str]:
    """Folders the child needs to run this Python: the environment and the install it comes from."""
    out = set()
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        out.update({p, os.path.realpath(p)})
    return sorted(p for p in out if p and p != "/" and os.path.isdir(p))


def blocked_ancestors(paths: Sequence[bytes]) -> list[bytes]:
    """The first folder on the way to each path that other users cannot enter (such as /root)."""
    out = []
    for path in paths:
        parts = path.split(b"/")
        for i in range(2, len(parts) + 1):
            folder = b"/".join(parts[:i])
            try:
                if not os.stat(folder).st_mode & 0o001:
                    out.append(folder)
                    break
            except OSError:
                break
    return sorted(set(out))


def mount_points_under(folder: Path) -> list[bytes]:
    """Mount points at or below ``folder`` in this mount namespace, deepest first."""
    prefix = os.fsencode(str(folder))
    found = []
    with contextlib.suppress(OSError), open("/proc/self/mountinfo", "rb") as fh:
        for line in fh:
            point = line.split(b" ")[4]
            point = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), point)
            if point == prefix or point.startswith(prefix + b"/"):
                found.append(point)
    return sorted(found, key=len, reverse=True)


@dataclass(frozen=True)
class MountPlan:
    """Everything the child's mount namespace needs, computed in the parent (the forked child
    before exec should only make system calls).

    Args:
        hide: folders covered by an empty read-only tmpfs.
        covers: (folder, tmpfs mode option) for each private scratch folder, outermost only.
        keep: the interpreter's folders, bound back where a cover hides them.
        scratch_mb: size of each scratch tmpfs, in MiB.
        home: the child's home, made a private tmpfs with ``home_options``; None: left as is.
        home_options: tmpfs options of the home (size, mode, owner).
    """

    hide: tuple[bytes, ...]
    covers: tuple[tuple[bytes, bytes], ...]
    keep: tuple[bytes, ...]
    scratch_mb: int
    home: bytes | None = None
    home_options: bytes = b""


def plan_mounts(
    hide: Sequence[Path], scratch_mb: int, home: Path | None, home_owner: tuple[int, int] | None
) -> MountPlan:
    """The mount plan for a child that must not see ``hide``, with scratch folders of
    ``scratch_mb`` MiB and, when ``home_owner`` (uid, gid) is given, a private home."""
    private = [os.fsencode(f) for f in SHARED_FOLDERS if os.path.isdir(f)]
    keep = sorted({os.fsencode(p) for p in interpreter_paths()})
    covers = [(p, b"mode=1777") for p in private] + [(p, b"mode=0755") for p in blocked_ancestors(keep)]
    covers = [(p, o) for p, o in covers if not any(p.startswith(q.rstrip(b"/") + b"/") for q, _ in covers)]
    home_options = b""
    if home is not None and home_owner is not None:
        uid, gid = home_owner
        home_options = f"size={scratch_mb}m,mode=0700,uid={uid},gid={gid}".encode()
    return MountPlan(
        hide=tuple(os.fsencode(str(p)) for p in hide if Path(p).is_dir()),
        covers=tuple(covers),
        keep=tuple(keep),
        scratch_mb=scratch_mb,
        home=os.fsencode(str(home)) if home is not None and home_options else None,
        home_options=home_options,
    )


def enter_namespaces(plan: MountPlan, fail: Callable[[str], None]) -> None:
    """In the forked child, before exec and while still root: new namespaces, then the plan's
    mounts. ``fail(what)`` is called (and must not return) when a step fails."""
    if libc.unshare(NAMESPACES) != 0:
        fail("unshare(network, mount, ipc)")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        fail("making mounts private")
    for path in plan.hide:
        if mount_tmpfs(path, b"size=4k,mode=000", MS_RDONLY | MS_NOSUID | MS_NODEV) != 0:
            fail(f"hiding {os.fsdecode(path)}")
    # Private scratch space: nothing written there outlives the child or reaches another
    # grading, and tmpfs pages count against the memory cgroup, so scratch files cannot fill the disk.
    for path, mode in plan.covers:
        opts = f"size={plan.scratch_mb}m,".encode() + mode
        inner = [k for k in plan.keep if k.startswith(path.rstrip(b"/") + b"/")]
        fds = [os.open(k, os.O_PATH | os.O_DIRECTORY) for k in inner]
        if mount_tmpfs(path, opts) != 0:
            fail(f"a private {os.fsdecode(path)}")
        for k, fd in zip(inner, fds, strict=True):
            os.makedirs(k, exist_ok=True)
            if libc.mount(f"/proc/self/fd/{fd}".encode(), k, None, MS_BIND | MS_REC, None) != 0:
                fail(f"binding {os.fsdecode(k)} back")
            os.close(fd)
    if plan.home is not None and mount_tmpfs(plan.home, plan.home_options) != 0:
        fail("a private home")
