"""Shared fixtures of the grader's tests: the toy assignment, grading helpers, sandbox checks."""

from __future__ import annotations

import fcntl
import os
import pwd
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.grade import Graded, grade
from grader.manifest import Manifest, load_manifest
from grader.sandbox import SLOTS, STATE_DIR, USER_PREFIX

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """GRADER_STRICT=1: a missing isolation feature (cgroups, namespaces) fails instead of falling back."""
    monkeypatch.setenv("GRADER_STRICT", "1")


@pytest.fixture(scope="session")
def toy() -> Manifest:
    """The toy assignment's manifest: 6 points, add 1+1+1, scale 2, row_sums 1."""
    return load_manifest(TOY)


@pytest.fixture
def grade_source(toy: Manifest, strict: None) -> Callable[[str], Graded]:
    """``grade_source(text)`` grades ``text`` as the student's toy_pkg/ops.py, in the full sandbox."""

    def run(src: str) -> Graded:
        return grade(toy, None, student_files={"toy_pkg/ops.py": src.encode()})

    return run


def _slot_idle(name: str) -> bool:
    """Whether no grading holds the slot of sandbox user ``name`` (tried with the slot's flock)."""
    index = name[len(USER_PREFIX) :]
    if not index.isdigit() or int(index) >= SLOTS:
        return True
    try:
        fd = os.open(STATE_DIR / f"slot{index}.lock", os.O_RDONLY)
    except OSError:
        return True  # never used, so no grading holds it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing the descriptor releases our lock
    return True


def sandbox_processes() -> list[str]:
    """``pid user cmdline`` of each live process of a sandbox user (``grader-sbN``); zombies
    (killed, not yet reaped by init) do not count.

    Slots that a grading holds right now (another test run on this machine) are skipped: their
    processes belong to that grading, which kills them when it ends.
    """
    users = {p.pw_uid: p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(USER_PREFIX)}
    idle = {uid for uid, name in users.items() if _slot_idle(name)}
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            if uid not in idle:
                continue
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
            if state in ("Z", "X"):  # dead already; init reaps it
                continue
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        found.append(f"{entry} {users[uid]} {cmd.decode(errors='replace')[:120]}")
    return found


@pytest.fixture
def leftover_processes() -> Callable[[], list[str]]:
    """``leftover_processes()``: processes of idle sandbox users (should be none after a grading)."""
    return sandbox_processes
