"""Run cases in a child process and read back what it wrote, without trusting any of it.

The child runs the cases in the order given and appends ``start``/``done`` lines to a
progress file; the trusted side keeps the clock and reads each case's files the moment its
``done`` line appears. When a case hangs past its time limit, crashes the interpreter or
exits early, that case fails with the reason and a new child goes on with the remaining
cases, so one bad function costs only its own points. Each restart removes at least one
case, so grading always ends. The child writes into a small folder of its own (a tmpfs with
a byte and file quota, as root), so nothing it writes reaches the disk.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader import layout
from grader.cases import Arrays
from grader.layout import CHILD_RUNTIME, GRADER_DIR, copy_library
from grader.sandbox import RunResult, Sandbox, WorkFolder
from grader.untrusted import MAX_STATUS_BYTES, OutputError, load_outputs, parse_status, read_file

MAX_OUTPUT_BYTES = 64 * 2**20  # one case's outputs, inflated, unless the reference's are larger
STOPPED = "stopped at the first failure"
FINISHED = "every case finished"  # the child is stopped: a lingering thread cannot hold the grading open


@dataclass
class CaseRun:
    """What happened to one case in the child."""

    ok: bool
    message: str = ""  # why it failed, for the student
    where: str = ""  # file:line in the student's code, when known
    outputs: Arrays | None = None
    traceback: str = ""
    seconds: float | None = None  # the case's wall time, by the trusted side's clock


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
    or removed when the student did not submit it. The grader's child runtime goes to
    ``code_dir/grader`` and the staff library to ``code_dir/trainkit`` (without its tests):
    the code folder is on the child's ``sys.path``.
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
    copy_library(layout.TRAINKIT_DIR, code_dir / "trainkit")  # read at call time: tests point it elsewhere
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


class _Progress:
    """Follows the child's progress file. The trusted side keeps the clock: it knows the order
    of the cases, and a case ends when its ``done`` line is seen, in that order, before its
    limit. Lines out of order, for other cases or after a case ended are ignored, and nothing
    the file holds is kept beyond the current line, however much the child writes."""

    def __init__(self, path: Path, order: list[str]) -> None:
        self.path, self.order = path, order
        self.offset = 0
        self.partial = b""
        self.index = 0  # order[index] is the case running now
        self.launched = time.monotonic()
        self.since: float | None = None  # when order[index] started; None while the child starts up
        self.begun = False  # whether the child said it began order[index] (its start line)

    @property
    def current(self) -> str | None:
        return self.order[self.index] if self.index < len(self.order) else None

    def lines(self, budget: int = 1 << 16) -> list[tuple[str, str, float]]:
        """New complete lines as (word, name, time seen); at most ``budget`` bytes read a call."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return []
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return []
            os.lseek(fd, self.offset, os.SEEK_SET)
            chunk = os.read(fd, budget)
        finally:
            os.close(fd)
        self.offset += len(chunk)
        *complete, rest = (self.partial + chunk).split(b"\n")
        self.partial = rest[-256:]  # a real line is short; a longer one is junk
        now = time.monotonic()
        out = []
        for raw in complete:
            word, _, name = raw[:256].decode("utf-8", "replace").partition(" ")
            out.append((word, name, now))
        return out


@dataclass(frozen=True)
class OutputSpec:
    """What the trusted side will read of one case's outputs: these keys (None: every key,
    for the oracle), inflating to at most ``max_bytes`` in all."""

    keys: tuple[str, ...] | None = None
    max_bytes: int = MAX_OUTPUT_BYTES


def run_cases(
    sandbox: Sandbox,
    code_dir: Path,
    inputs_dir: Path,
    work: WorkFolder,
    case_rels: list[str],
    names: list[str],
    timeouts: dict[str, float],
    total_limit_s: float,
    *,
    oracle: bool = False,
    student_files: tuple[str, ...] = (),
    python: str | None = None,
    on_result: Callable[[str, CaseRun], bool] | None = None,
    outputs: dict[str, OutputSpec] | None = None,
    preload: tuple[str, ...] = (),
    startup_s: float = 60.0,
) -> tuple[dict[str, CaseRun], list[RunResult]]:
    """Run ``names`` in as few children as possible; every name gets a CaseRun.

    Each case's status and outputs are read the moment its ``done`` line is seen (what the
    child writes later is never read) and handed to ``on_result(name, run)``, which judges
    them; the outputs are then dropped, so the trusted process holds one case's arrays at a
    time. When ``on_result`` returns True the child is killed and the remaining cases are
    marked not run (``check`` uses it to fail fast). The returned runs carry no outputs.
    """
    python = python or sys.executable
    owner = sandbox.slot.uid if sandbox.slot else None
    deadline = time.monotonic() + total_limit_s
    results: dict[str, CaseRun] = {}
    runs: list[RunResult] = []
    remaining = list(names)
    specs = outputs or {}
    spared: set[str] = set()
    attempt = 0
    # The child imports the student's modules before the first case, so that no case's clock
    # pays for them (see child.py). A child that never reached its first case with them (an
    # import that hangs, exits or eats the memory) is run again without, once: then each case
    # imports what it needs, and only the cases that need a broken module lose their points.
    preload_student = bool(student_files)

    def finish(name: str, run: CaseRun) -> bool:
        stop = on_result(name, run) if on_result is not None else False
        run.outputs = None
        results[name] = run
        return stop

    while remaining:
        left = deadline - time.monotonic()
        if left <= 0.5:
            for name in remaining:
                finish(name, CaseRun(False, "not run: the time limit of the whole grading was reached"))
            break
        out_dir = work.path / f"out{attempt}"
        out_dir.mkdir()
        quota = sum(specs.get(n, OutputSpec()).max_bytes for n in remaining) + (8 << 20)
        with sandbox.output_folder(out_dir, quota, files=4 * len(remaining) + 64):
            job = {
                "code_dir": str(code_dir),
                "out_dir": str(out_dir),
                "inputs_dir": str(inputs_dir),
                "case_files": case_rels,
                "cases": remaining,
                "oracle": oracle,
                "student_files": list(student_files),
                "preload": list(preload),
                "preload_student": preload_student,
                "cwd": str(work.home),
            }
            # A previous child may have taken the permissions off its home (the cwd of the next);
            # the folder itself cannot have been swapped: its parent belongs to root.
            os.chmod(work.home, 0o700)
            job_path = work.path / f"job{attempt}.json"
            job_path.write_text(json.dumps(job))
            os.chmod(job_path, 0o644)
            progress = _Progress(out_dir / "progress", remaining)
            blame: dict[str, str] = {}

            def step(progress: _Progress = progress, out_dir: Path = out_dir, blame: dict = blame) -> str | None:
                """Follow the child; the reason to stop it, or None to let it run."""
                for word, name, seen in progress.lines():
                    if word == "start" and name == progress.current:
                        progress.begun = True
                        if progress.since is None:
                            progress.since = seen  # start-up (imports) is over: the first case's clock runs
                    elif word == "done" and name == progress.current:
                        started = progress.since if progress.since is not None else progress.launched
                        run = _case_result(name, out_dir, owner, specs.get(name, OutputSpec()))
                        run.seconds = seen - started
                        progress.index += 1
                        progress.begun = False
                        progress.since = seen  # the next case's clock runs from here, whatever the child says
                        if finish(name, run):
                            return STOPPED
                        if progress.current is None:
                            return FINISHED
                now = time.monotonic()
                cur = progress.current
                if cur is None:
                    return FINISHED
                if progress.since is None:
                    if now - progress.launched > startup_s:
                        blame["startup"] = f"the grading process did not start within {startup_s:g} s"
                        return blame["startup"]
                elif now - progress.since > timeouts.get(cur, 60.0):
                    return f"ran past its time limit of {timeouts.get(cur, 60.0):g} s and was stopped"
                return None

            res = sandbox.run(
                [python, "-P", "-s", "-B", str(code_dir / "grader" / "child.py"), str(job_path)],
                work=work,
                cwd=code_dir,
                wall_limit_s=left,
                poll=step,
            )
            runs.append(res)
            if not res.killed_reason and not res.timed_out:
                step()  # the child ended on its own: what it wrote before that still counts
        unfinished = [n for n in remaining if n not in results]
        if not unfinished:
            break
        if preload_student and progress.since is None and not res.timed_out and res.killed_reason != STOPPED:
            preload_student = False  # nothing was blamed: the same cases again, importing as they go
            remaining = unfinished
            attempt += 1
            continue
        if res.killed_reason == STOPPED:
            for name in unfinished:
                finish(name, CaseRun(False, "not run: grading stopped at the first failure"))
            break
        culprit = unfinished[0]
        reason = res.killed_reason or res.describe()
        if res.memory_exceeded:
            reason = res.describe()
        elif res.returncode == 0 and not res.killed_reason:
            reason = "the code ended the grading process early (sys.exit, os._exit or similar)"
        if res.timed_out:
            reason = "ran past the time limit of the whole grading and was stopped"
        if "startup" in blame and not res.memory_exceeded:  # nothing of the student's ran yet: no use retrying
            for name in unfinished:
                finish(name, CaseRun(False, reason))
            break
        if not progress.begun and not res.timed_out and culprit not in spared:
            # The child ended between two cases (the previous one's code, from a thread or as
            # it finished): the next case did not begin, so it gets one more chance.
            spared.add(culprit)
            remaining = unfinished
            attempt += 1
            continue
        finish(culprit, CaseRun(False, reason))
        if res.timed_out:
            for name in unfinished[1:]:
                finish(name, CaseRun(False, "not run: the time limit of the whole grading was reached"))
        remaining = [n for n in remaining if n not in results]
        attempt += 1
    return results, runs


def _case_result(name: str, out_dir: Path, owner: int | None, spec: OutputSpec) -> CaseRun:
    """Read one case's status and outputs, bounded; every problem becomes that case's failure."""
    raw = read_file(out_dir / f"{name}.json", MAX_STATUS_BYTES, owner)
    if raw is None:
        return CaseRun(False, "the grading process wrote no status for this case")
    try:
        status = parse_status(raw)
    except OutputError as exc:
        return CaseRun(False, str(exc))
    if status.get("status") != "ok":
        return CaseRun(
            False, status.get("error", "error"), status.get("where", ""), traceback=status.get("traceback", "")
        )
    data = read_file(out_dir / f"{name}.npz", spec.max_bytes + (1 << 20), owner)
    if data is None:
        return CaseRun(False, "no outputs were written (or they were larger than allowed)")
    try:
        return CaseRun(True, outputs=load_outputs(data, spec.keys, spec.max_bytes))
    except OutputError as exc:
        return CaseRun(False, f"the outputs could not be read: {exc}"[:500])
    except Exception as exc:  # anything else a crafted file provokes stays with this case
        return CaseRun(False, f"the outputs could not be read: {type(exc).__name__}"[:500])
