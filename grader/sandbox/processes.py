"""The processes this machine runs, read from /proc, and the kill that ends all of one user's."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import NamedTuple


class Process(NamedTuple):
    """One live process, as /proc shows it."""

    pid: int
    uid: int  # the real uid (the owner of /proc/PID)
    sid: int  # session id: the child's pid for everything it started without setsid
    rss: int  # resident bytes


def proc_table() -> list[Process]:
    """Every live process we can see; zombies (dead, waiting to be reaped) are left out."""
    page = os.sysconf("SC_PAGE_SIZE")
    rows = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields_ = stat[stat.rindex(")") + 2 :].split()
            if fields_[0] in ("Z", "X"):  # already dead, waiting to be reaped: no signal can reach it
                continue
            sid, rss = int(fields_[3]), int(fields_[21]) * page
            uid = os.stat(f"/proc/{entry}").st_uid
        except (OSError, ValueError, IndexError):
            continue
        rows.append(Process(int(entry), uid, sid, rss))
    return rows


def kill_uid(uid: int) -> int:
    """SIGKILL every process of ``uid`` (kill(-1) as that user); returns how many remain.

    kill(-1) as the user reaches processes that left the child's process group and session
    (``setsid``), which a process-group kill would miss.
    """
    for _ in range(50):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - in the forked helper
            try:
                os.setgroups([])
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        left = [p for p in proc_table() if p.uid == uid]
        if not left:
            return 0
        time.sleep(0.02)
    return len(left)
