"""Grading slots: one dedicated sandbox user per concurrent grading, held with a file lock.

As root, each grading takes a free slot ``N`` (``flock`` on ``STATE_DIR/slotN.lock``) and runs
its child as the user ``grader-sbN``, which nothing else runs as: "every process of that
user" is then exactly what the child started, and "every file of that user in the shared
folders" exactly what it left. A grading killed mid-way (the grader itself got SIGKILL)
leaves its slot dirty; whoever takes the slot next, or sweeps idle slots, cleans it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from grader.sandbox.host import SHARED_FOLDERS, SandboxError
from grader.sandbox.jobs import leftover_job_users, sweep_jobs
from grader.sandbox.processes import kill_uid, proc_table

SLOTS = 16
USER_PREFIX = "grader-sb"
STATE_DIR = Path(os.environ.get("GRADER_STATE_DIR", "/run/grader" if os.path.isdir("/run") else "/tmp/grader-state"))


def _ensure_user(name: str) -> tuple[int, int]:
    """(uid, gid) of the system user ``name``, created (no home, no shell) when missing."""
    try:
        pw = pwd.getpwnam(name)
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    if not os.path.exists(useradd):
        raise SandboxError(f"cannot create the sandbox user {name}: useradd not found")
    proc = subprocess.run(
        [
            useradd,
            "--system",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            "--user-group",
            name,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 9):  # 9: created meanwhile by a concurrent grading
        raise SandboxError(f"cannot create the sandbox user {name}: {proc.stderr.strip()}")
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


class Slot:
    """An exclusive grading slot (a sandbox user and cgroups of its own), held by flock until ``release``."""

    def __init__(self) -> None:
        STATE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(STATE_DIR, 0o700)
        for i in range(SLOTS):
            fh = open(STATE_DIR / f"slot{i}.lock", "w")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            self.index, self._fh = i, fh
            self.user = f"{USER_PREFIX}{i}"
            self.uid, self.gid = _ensure_user(self.user)
            return
        raise SandboxError(f"all {SLOTS} grading slots are busy")

    def release(self) -> None:
        """Give the slot back (its lock), for the next grading."""
        self._fh.close()


def sandbox_users() -> dict[str, int]:
    """Sandbox user name -> uid, for the users that exist."""
    out = {}
    for i in range(SLOTS):
        with contextlib.suppress(KeyError):
            out[f"{USER_PREFIX}{i}"] = pwd.getpwnam(f"{USER_PREFIX}{i}").pw_uid
    return out


def remove_files_of(uid: int) -> None:
    """Delete what ``uid`` left in the shared world-writable folders (its processes are dead).

    Otherwise a later grading in the same slot, or any other, could read a stash that an
    earlier submission left there (``batch`` grades one submission after another).
    """
    todo = [Path(f) for f in SHARED_FOLDERS]
    while todo:
        folder = todo.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            with contextlib.suppress(OSError):
                st = entry.stat(follow_symlinks=False)
                if st.st_uid == uid:
                    if stat.S_ISDIR(st.st_mode):
                        shutil.rmtree(entry.path, ignore_errors=True)
                    else:
                        os.unlink(entry.path)
                elif stat.S_ISDIR(st.st_mode) and st.st_mode & 0o002:  # another folder it could write in
                    todo.append(Path(entry.path))


def clean_user(uid: int, user: str) -> int:
    """End every process of the slot's user, delete its files in the shared folders and the job
    folders its gradings left; returns how many processes survived the kill."""
    left = kill_uid(uid)
    remove_files_of(uid)
    sweep_jobs(user)
    return left


def sweep_idle_slots(own: int | None = None) -> list[str]:
    """Clean every idle slot that a killed grading left dirty (processes of its user, job
    folders); returns their users. A slot is idle when its lock can be taken: no grading holds it.
    """
    users = sandbox_users()
    busy_uids = {p.uid for p in proc_table()}
    stale = leftover_job_users()
    cleaned = []
    for i in range(SLOTS):
        user = f"{USER_PREFIX}{i}"
        if i == own or user not in users or (users[user] not in busy_uids and user not in stale):
            continue
        try:
            fh = open(STATE_DIR / f"slot{i}.lock", "w")  # noqa: SIM115 - closed below
        except OSError:
            continue
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            continue
        try:
            clean_user(users[user], user)
            cleaned.append(user)
        finally:
            fh.close()
    return cleaned
