"""Job folders: where one grading's files sit (code, inputs, outputs, the child's home).

As root with namespaces, a job folder lives under ``JOBS_DIR`` (not under /tmp, which the
child sees as a private tmpfs) and is named for its slot's user, so that the next grading in
that slot finds and removes what a killed one left. A ``WorkFolder`` is a value: made once,
passed to every call that needs it, removed by whoever made it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.host import SandboxError, unmount
from grader.sandbox.mounts import mount_points_under

JOBS_DIR = Path(os.environ.get("GRADER_JOBS_DIR", "/run/grader-jobs"))
JOB_PARENTS = (JOBS_DIR, Path("/var/lib/grader-jobs"))  # the first one that can be made is used
JOB_PREFIX = "grader-job-"


@dataclass(frozen=True)
class WorkFolder:
    """A fresh folder for one grading's runs, and the child's home inside it.

    Args:
        path: the folder, root-owned, traversable by the slot's user only (its path shows in
            /proc/PID/cmdline, and a grading in another slot must not read this one's code).
        home: ``path/home``, the child's ``HOME`` and working folder, writable by the child
            only; ``home/tmp`` is its ``TMPDIR`` when it has no private /tmp.
    """

    path: Path
    home: Path

    @property
    def tmp(self) -> Path:
        return self.home / "tmp"


def job_parent() -> Path:
    """The folder that holds job folders (made 0711 when missing); raises SandboxError if none can be."""
    for parent in JOB_PARENTS:
        try:
            parent.mkdir(mode=0o711, parents=True, exist_ok=True)
            os.chmod(parent, 0o711)
            return parent
        except OSError:
            continue
    raise SandboxError(f"cannot create a folder for grading jobs ({' or '.join(map(str, JOB_PARENTS))})")


def leftover_job_users() -> set[str]:
    """Users whose slot left a job folder behind (a grading killed before it cleaned up)."""
    stale = set()
    for parent in JOB_PARENTS:
        with contextlib.suppress(OSError):
            stale.update(p.name[len(JOB_PREFIX) :].rsplit("-", 1)[0] for p in parent.glob(f"{JOB_PREFIX}*-*"))
    return stale


def sweep_jobs(user: str) -> int:
    """Remove the job folders a killed grading of ``user``'s slot left behind; returns how many."""
    count = 0
    for parent in JOB_PARENTS:
        with contextlib.suppress(OSError):
            for folder in parent.glob(f"{JOB_PREFIX}{user}-*"):
                for point in mount_points_under(folder):
                    unmount(point)
                shutil.rmtree(folder, ignore_errors=True)
                count += 1
    return count
