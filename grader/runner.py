"""Run cases in a child process and read back what it wrote, without trusting any of it.

The child runs the cases in order and appends progress lines. When a case hangs past its
time limit, crashes the interpreter or exits early, that case fails with the reason and a
new child goes on with the remaining cases, so one bad function costs only its own points.
Each restart removes at least one case, so grading always ends.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.cases import KEY_RE, Arrays
from grader.sandbox import RunResult, Sandbox

GRADER_DIR = Path(__file__).resolve().parent
CHILD_RUNTIME = ("__init__.py", "cases.py", "gradcheck.py", "child.py")
MAX_OUTPUT_FILE = 64 * 2**20
MAX_STATUS_FILE = 64 * 1024
STOPPED = "stopped at the first failure"


@dataclass
class CaseRun:
    """What happened to one case in the child."""

    ok: bool
    message: str = ""  # why it failed, for the student
    where: str = ""  # file:line in the student's code, when known
    outputs: Arrays | None = None
    traceback: str = ""


def prepare_code(
    code_dir: Path,
    package_src: Path,
    student_files: dict[str, bytes] | None,
    manifest_files: tuple[str, ...],
    case_files: list[Path],
) -> list[str]:
    """Fill ``code_dir`` with what the child imports; returns the case files' new names.

    ``package_src`` is the staff copy of the package (its parent is the assignment root).
    With ``student_files`` given, each manifest file is replaced by the student's version
    or removed when the student did not submit it.
    """
    shutil.copytree(package_src, code_dir / package_src.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if student_files is None:  # the oracle: the reference's own files, also those outside the package
        for rel in manifest_files:
            if (package_src.parent / rel).is_file() and not (code_dir / rel).exists():
                (code_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(package_src.parent / rel, code_dir / rel)
    else:
        for rel in manifest_files:
            target = code_dir / rel
            if rel in student_files:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(student_files[rel])
            else:
                target.unlink(missing_ok=True)
    (code_dir / "grader").mkdir()
    for name in CHILD_RUNTIME:
        shutil.copy2(GRADER_DIR / name, code_dir / "grader" / name)
    rels = []
    (code_dir / "_cases").mkdir()
    for i, path in enumerate(case_files):
        rel = f"_cases/cases{i}.py"
        shutil.copy2(path, code_dir / rel)
        rels.append(rel)
    for dirpath, _dirnames, filenames in os.walk(code_dir):
        os.chmod(dirpath, 0o755)
        for fn in filenames:
            os.chmod(os.path.join(dirpath, fn), 0o644)
    return rels


def _read_untrusted(path: Path, limit: int, owner: int | None) -> bytes | None:
    """Read a file the child wrote: regular file only, no symlinks, size-capped, owner checked."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit or (owner is not None and st.st_uid != owner):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)[:limit]
    finally:
        os.close(fd)


def load_outputs(data: bytes) -> Arrays:
    """Parse an ``.npz`` written by the child into plain numeric arrays (no pickle)."""
    out: Arrays = {}
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        for key in z.files:
            if not KEY_RE.fullmatch(key):
                raise ValueError(f"bad output name {key!r}")
            arr = np.asarray(z[key])
            if arr.dtype.hasobject or arr.dtype.kind not in "biufc":
                raise ValueError(f"output {key!r} has dtype {arr.dtype}")
            out[key] = arr
    return out


class _Progress:
    """Follows the child's progress file: which case is running, since when."""

    def __init__(self, path: Path, owner: int | None) -> None:
        self.path, self.owner = path, owner
        self.offset = 0
        self.buffer = b""
        self.current: str | None = None
        self.since = time.monotonic()
        self.started: list[str] = []
        self.done: set[str] = set()

    def update(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return
            os.lseek(fd, self.offset, os.SEEK_SET)
            chunk = os.read(fd, 65536)
        finally:
            os.close(fd)
        self.offset += len(chunk)
        self.buffer = (self.buffer + chunk)[-65536:]
        *lines, self.buffer = self.buffer.split(b"\n")
        for raw in lines:
            word, _, name = raw.decode("utf-8", "replace").partition(" ")
            if word == "start":
                self.current, self.since = name, time.monotonic()
                self.started.append(name)
            elif word == "done":
                self.done.add(name)
                if self.current == name:
                    self.current = None


def run_cases(
    sandbox: Sandbox,
    code_dir: Path,
    inputs_dir: Path,
    workdir: Path,
    case_rels: list[str],
    names: list[str],
    timeouts: dict[str, float],
    total_limit_s: float,
    mode: str = "grade",
    student_files: tuple[str, ...] = (),
    python: str | None = None,
    stop: Callable[[str, CaseRun], bool] | None = None,
) -> tuple[dict[str, CaseRun], list[RunResult]]:
    """Run ``names`` in as few children as possible; every name gets a CaseRun.

    ``stop(name, run)`` is called as each case finishes; when it returns True the child is
    killed and the remaining cases are marked not run (``check`` uses it to fail fast).
    """
    python = python or sys.executable
    owner = sandbox.slot.uid if sandbox.slot else None
    deadline = time.monotonic() + total_limit_s
    results: dict[str, CaseRun] = {}
    runs: list[RunResult] = []
    remaining = list(names)
    env = sandbox.env(workdir)
    attempt = 0
    while remaining:
        left = deadline - time.monotonic()
        if left <= 0.5:
            for name in remaining:
                results[name] = CaseRun(False, "not run: the time limit of the whole grading was reached")
            break
        out_dir = workdir / f"out{attempt}"
        out_dir.mkdir()
        sandbox.give(out_dir)
        # A previous child may have taken the permissions off its home (the cwd of the next);
        # the folder itself cannot have been swapped: its parent belongs to root.
        os.chmod(env["HOME"], 0o700)
        job = {
            "code_dir": str(code_dir),
            "out_dir": str(out_dir),
            "inputs_dir": str(inputs_dir),
            "case_files": case_rels,
            "cases": remaining,
            "mode": mode,
            "student_files": list(student_files),
            "cwd": str(env["HOME"]),
        }
        job_path = workdir / f"job{attempt}.json"
        job_path.write_text(json.dumps(job))
        os.chmod(job_path, 0o644)
        progress = _Progress(out_dir / "progress", owner)

        seen: set[str] = set()

        def poll(progress: _Progress = progress, out_dir: Path = out_dir, seen: set[str] = seen) -> str | None:
            progress.update()
            if stop is not None:
                for name in progress.done - seen:
                    seen.add(name)
                    raw = _read_untrusted(out_dir / f"{name}.json", MAX_STATUS_FILE, owner)
                    if raw is not None and stop(name, _case_result(name, raw, out_dir, owner)):
                        return STOPPED
            cur = progress.current
            if cur is not None and time.monotonic() - progress.since > timeouts.get(cur, 60.0):
                return f"ran past its time limit of {timeouts.get(cur, 60.0):g} s and was stopped"
            return None

        res = sandbox.run(
            [python, "-P", "-s", "-B", str(code_dir / "grader" / "child.py"), str(job_path)],
            cwd=code_dir,
            env=env,
            wall_limit_s=left,
            poll=poll,
        )
        runs.append(res)
        progress.update()
        for name in remaining:
            raw = _read_untrusted(out_dir / f"{name}.json", MAX_STATUS_FILE, owner)
            if raw is None or name not in progress.done:
                continue
            results[name] = _case_result(name, raw, out_dir, owner)
        unfinished = [n for n in remaining if n not in results]
        if not unfinished:
            break
        if res.killed_reason == STOPPED:
            for name in unfinished:
                results[name] = CaseRun(False, "not run: grading stopped at the first failure")
            break
        started = [n for n in progress.started if n in unfinished]
        culprit = started[-1] if started else unfinished[0]
        reason = res.killed_reason or res.describe()
        if res.returncode == 0 and not res.killed_reason:
            reason = "the code ended the grading process early (sys.exit, os._exit or similar)"
        if res.timed_out:
            reason = "ran past the time limit of the whole grading and was stopped"
        results[culprit] = CaseRun(False, reason)
        if res.timed_out:
            for name in unfinished:
                results.setdefault(name, CaseRun(False, "not run: the time limit of the whole grading was reached"))
        remaining = [n for n in remaining if n not in results]
        attempt += 1
    return results, runs


def _case_result(name: str, raw: bytes, out_dir: Path, owner: int | None) -> CaseRun:
    try:
        status = json.loads(raw)
        if not isinstance(status, dict):
            raise ValueError
    except ValueError:
        return CaseRun(False, "the grading process wrote an unreadable status")
    if status.get("status") != "ok":
        msg = status.get("error")
        where = status.get("where")
        tb = status.get("traceback")
        return CaseRun(
            False,
            msg if isinstance(msg, str) else "error",
            where if isinstance(where, str) else "",
            traceback=tb if isinstance(tb, str) else "",
        )
    data = _read_untrusted(out_dir / f"{name}.npz", MAX_OUTPUT_FILE, owner)
    if data is None:
        return CaseRun(False, "no outputs were written (or they were larger than allowed)")
    try:
        return CaseRun(True, outputs=load_outputs(data))
    except Exception as exc:
        return CaseRun(False, f"the outputs could not be read: {type(exc).__name__}: {exc}"[:500])
