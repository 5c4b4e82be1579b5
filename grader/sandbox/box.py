"""The Sandbox: runs one untrusted command at a time under a grading's limits, and ends
everything it started.

Isolation.FULL (as root: Gradescope, CI) puts the child in a slot of its own (a dedicated
user, see ``slots``), its memory and pids cgroups (``cgroups``), new namespaces with staff
folders hidden (``mounts``) and a seccomp filter (``seccomp``), with rlimits on CPU time,
file size, processes and core dumps as a second layer; it is ended with ``kill(-1)`` as the
sandbox user. Isolation.PLAIN (a student's laptop) runs it as the caller with rlimits, a
process-group kill and a memory watchdog, and says once what it cannot do.

Captured stdout and stderr are capped; the rest is counted and dropped.
"""

from __future__ import annotations

import contextlib
import ctypes
import enum
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from grader.manifest import Limits
from grader.sandbox import seccomp
from grader.sandbox.cgroups import Cgroup
from grader.sandbox.host import (
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    SandboxError,
    is_root,
    libc,
    mount_tmpfs,
    strict,
    unmount,
    warn_once,
)
from grader.sandbox.jobs import JOB_PREFIX, WorkFolder, job_parent, sweep_jobs
from grader.sandbox.mounts import enter_namespaces, namespaces_available, plan_mounts
from grader.sandbox.processes import kill_uid, proc_table
from grader.sandbox.slots import Slot, remove_files_of, sweep_idle_slots


class Isolation(enum.Enum):
    """How far a Sandbox isolates its child."""

    FULL = enum.auto()  # a sandbox user, namespaces, cgroups, seccomp: needs root
    PLAIN = enum.auto()  # the caller's user, rlimits, a process-group kill, a memory watchdog; a note says so
    TRUSTED = enum.auto()  # PLAIN for staff code (the reference building the oracle): no note

    @staticmethod
    def default() -> Isolation:
        """FULL as root, else PLAIN."""
        return Isolation.FULL if is_root() else Isolation.PLAIN


@dataclass
class RunResult:
    """How a sandboxed command ended."""

    returncode: int | None
    wall_s: float
    output: str
    output_dropped: int = 0
    timed_out: bool = False
    killed_reason: str = ""
    memory_exceeded: bool = False
    escaped: int = 0  # processes still alive after the kill (non-root only)

    def describe(self) -> str:
        """One line on how the child ended, for failure messages."""
        if self.memory_exceeded:
            return "the code used more memory than allowed and was killed"
        if self.killed_reason:
            return self.killed_reason
        if self.timed_out:
            return "the code ran past the time limit and was killed"
        rc = self.returncode
        if rc is None:
            return "the child process did not finish"
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = f"signal {-rc}"
            extra = " (a file larger than allowed was written)" if -rc == signal.SIGXFSZ else ""
            extra = " (CPU time limit)" if -rc in (signal.SIGXCPU,) else extra
            return f"the child process was killed by {name}{extra}"
        return f"the child process exited with status {rc}"


@dataclass
class Sandbox:
    """Runs commands under ``limits``; one instance per grading (it holds a slot with FULL isolation).

    Args:
        limits: the manifest's limits.
        hide: folders to cover with empty tmpfs inside the child's mount namespace (FULL only).
        isolation: see Isolation; default: FULL as root, else PLAIN.
    """

    limits: Limits
    hide: Sequence[Path] = ()
    isolation: Isolation = field(default_factory=Isolation.default)
    slot: Slot | None = field(default=None, init=False)
    cgroup: Cgroup | None = field(default=None, init=False)
    namespaces: bool = field(default=False, init=False)  # whether the child gets its own namespaces
    seccomp: bool = field(default=False, init=False)  # whether the child gets the seccomp filter

    def __post_init__(self) -> None:
        if self.isolation is Isolation.FULL:
            if not is_root():
                raise SandboxError("isolation needs root")
            self.slot = Slot()
            self.cgroup = Cgroup(f"grader-{self.slot.user}", self.limits.memory_mb * 2**20, self.limits.max_processes)
            # A grading killed mid-way (the grader itself got SIGKILL) may have left the slot
            # dirty: its user's processes, files and job folder. Clean it before using it.
            self._clean_slot()
            sweep_idle_slots(own=self.slot.index)  # and any other slot a killed grading left dirty
            self.seccomp = seccomp.seccomp_available()
            if not self.seccomp:
                if strict():
                    raise SandboxError("cannot install a seccomp filter here: keyrings and message queues stay open")
                warn_once("seccomp", "no seccomp filter: kernel keyrings and message queues stay reachable")
            if not self.cgroup.ok:
                if strict():
                    raise SandboxError(f"cgroup limits unavailable as root: {self.cgroup.error}")
                warn_once("cgroup", f"no cgroup limits ({self.cgroup.error}); using a memory watchdog")
            self.namespaces = namespaces_available()
            if not self.namespaces:
                if strict():
                    raise SandboxError("network and mount namespaces are unavailable as root")
                warn_once(
                    "netns",
                    "cannot create network and mount namespaces here (no CAP_SYS_ADMIN?): student code keeps "
                    "network access; staff folders are protected by permissions only",
                )
        elif self.isolation is Isolation.PLAIN:
            warn_once(
                "noroot",
                ("sandbox isolation is turned off" if is_root() else "not running as root")
                + ", so student code runs as you, with network access and no process-count limit "
                "(Gradescope runs the full sandbox)",
            )

    @property
    def isolate(self) -> bool:
        """Whether the child runs as a sandbox user (Isolation.FULL)."""
        return self.isolation is Isolation.FULL

    def _clean_slot(self) -> None:
        """End every process of the slot's user, empty its cgroup, delete its files in the
        shared folders and the job folders it left (done when the slot is taken and released)."""
        assert self.slot is not None
        left = kill_uid(self.slot.uid)
        if self.cgroup is not None:
            for pid in self.cgroup.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        remove_files_of(self.slot.uid)
        sweep_jobs(self.slot.user)
        if left:
            raise SandboxError(f"{left} processes of {self.slot.user} survived the kill")

    def close(self) -> None:
        """Clean the slot and give it back (FULL); nothing to do otherwise."""
        if self.slot is not None:
            try:
                self._clean_slot()
            finally:
                self.slot.release()
                self.slot = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files the child may use

    @contextlib.contextmanager
    def work_folder(self) -> Iterator[WorkFolder]:
        """A fresh WorkFolder for this grading (see there), removed with everything in it when the block ends."""
        parent = job_parent() if self.slot is not None and self.namespaces else None
        # Not under /tmp with namespaces: the child gets a private tmpfs there, which would hide the job.
        prefix = f"{JOB_PREFIX}{self.slot.user}-" if self.slot is not None else JOB_PREFIX
        base = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        try:
            if self.slot is not None:
                os.chown(base, -1, self.slot.gid)
                os.chmod(base, 0o710)
            work = WorkFolder(base, base / "home")
            work.home.mkdir()
            work.tmp.mkdir()
            self.give(work.home)
            if self.slot is not None:
                os.chown(work.tmp, self.slot.uid, self.slot.gid)
            yield work
        finally:
            shutil.rmtree(base, ignore_errors=True)

    def give(self, path: Path) -> None:
        """Make ``path`` (a folder) writable by the child, and only by it."""
        if self.slot is not None:
            os.chown(path, self.slot.uid, self.slot.gid)
        os.chmod(path, 0o700)

    @contextlib.contextmanager
    def output_folder(self, path: Path, max_bytes: int, files: int) -> Iterator[Path]:
        """``path`` as the child's only writable folder on the host, for its outputs.

        With the full sandbox it is a tmpfs of ``max_bytes`` and ``files`` inodes, owned by the
        sandbox user; its pages count against the child's memory cgroup, and it is unmounted
        (with everything in it) when the block ends. The trusted side reads the case files
        while the block runs.
        """
        if self.slot is None or not self.namespaces:
            self.give(path)
            yield path
            return
        opts = f"size={max(max_bytes, 1 << 20)},nr_inodes={files},mode=0700,uid={self.slot.uid},gid={self.slot.gid}"
        if mount_tmpfs(os.fsencode(str(path)), opts.encode()) != 0:
            err = ctypes.get_errno()
            raise SandboxError(f"cannot mount a tmpfs for the child's outputs at {path}: {os.strerror(err)}")
        try:
            yield path
        finally:
            unmount(os.fsencode(str(path)))

    def env(self, work: WorkFolder) -> dict[str, str]:
        """The child's whole environment: a home in ``work``, a private or per-job TMPDIR, one
        BLAS thread (``limits.threads``), a fixed hash seed, the Agg backend for matplotlib."""
        n = str(self.limits.threads)
        user = self.slot.user if self.slot else os.environ.get("USER", "student")
        # With namespaces, home and /tmp are private tmpfs mounts (see mounts.enter_namespaces).
        tmp = "/tmp" if self.slot is not None and self.namespaces else str(work.tmp)
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(work.home),
            "TMPDIR": tmp,
            "USER": user,
            "LOGNAME": user,
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": tmp,
            "OMP_NUM_THREADS": n,
            "OPENBLAS_NUM_THREADS": n,
            "MKL_NUM_THREADS": n,
            "NUMEXPR_NUM_THREADS": n,
            "VECLIB_MAXIMUM_THREADS": n,
        }

    # -- running

    def _preexec(self, work: WorkFolder) -> Callable[[], None]:
        """The function the forked child runs before exec: cgroups, namespaces and mounts (as
        root), rlimits, then the drop to the sandbox user and the seccomp filter."""
        limits = self.limits
        slot, cgroup = self.slot, self.cgroup
        scratch_mb = max(16, min(limits.memory_mb // 2, 1024))
        plan = None
        if slot is not None and self.namespaces:
            plan = plan_mounts(self.hide, scratch_mb, work.home, (slot.uid, slot.gid))
        procs = [os.fsencode(f) for f in (cgroup.procs_files() if cgroup else [])]
        cpu = int(limits.time_limit_s * max(1, limits.threads) + 5)
        fsize = limits.max_file_mb * 2**20
        prog = seccomp.seccomp_program() if slot is not None and self.seccomp else None

        def fail(what: str) -> None:
            err = ctypes.get_errno()
            os.write(2, f"grader sandbox: {what} failed: {os.strerror(err)}\n".encode())
            os._exit(121)

        def preexec() -> None:  # runs in the forked child, before exec
            if slot is not None:
                pid = str(os.getpid()).encode()
                for f in procs:
                    fd = os.open(f, os.O_WRONLY)
                    os.write(fd, pid)
                    os.close(fd)
                if plan is not None:
                    enter_namespaces(plan, fail)
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if slot is not None:
                os.setgroups([])
                os.setresgid(slot.gid, slot.gid, slot.gid)
                os.setresuid(slot.uid, slot.uid, slot.uid)
                libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
                if prog is not None and not seccomp.install(prog):
                    fail("installing the seccomp filter")
            # If the grader dies (SIGKILL, OOM), the child dies with it; set after the uid
            # change, which clears it. What the child started is ended when the slot is next taken.
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

        return preexec

    def run(
        self,
        argv: Sequence[str],
        work: WorkFolder,
        cwd: Path,
        wall_limit_s: float,
        poll: Callable[[], str | None] | None = None,
    ) -> RunResult:
        """Run ``argv`` in ``cwd`` with ``work``'s home and the environment ``env(work)``, and
        wait; ``poll()`` is called often and may return a reason to kill."""
        cap = self.limits.max_output_kb * 1024
        start = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=self.env(work),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=self._preexec(work),
            close_fds=True,
        )
        kept = bytearray()
        dropped = [0]

        def reader() -> None:
            assert proc.stdout is not None
            fd = proc.stdout.fileno()
            while True:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                room = cap - len(kept)
                kept.extend(chunk[: max(room, 0)])
                dropped[0] += max(len(chunk) - max(room, 0), 0)

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        result = RunResult(returncode=None, wall_s=0.0, output="")
        memory_limit = self.limits.memory_mb * 2**20
        use_watchdog = not (self.cgroup and self.cgroup.ok)
        last_watch = 0.0
        while True:
            try:
                proc.wait(timeout=0.02)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now - start > wall_limit_s:
                result.timed_out = True
                break
            if poll is not None:
                reason = poll()
                if reason:
                    result.killed_reason = reason
                    break
            if use_watchdog and now - last_watch > 0.1:
                last_watch = now
                if self._resident(proc.pid) > memory_limit:
                    result.memory_exceeded = True
                    break
        self._end(proc)
        result.returncode = proc.returncode
        result.wall_s = time.monotonic() - start
        if self.cgroup is not None and self.cgroup.memory_exceeded():
            result.memory_exceeded = True
        thread.join(timeout=2.0)
        result.output = kept.decode("utf-8", errors="replace")
        result.output_dropped = dropped[0]
        if not self.isolate:
            result.escaped = sum(1 for p in proc_table() if p.sid == proc.pid)
        return result

    def _resident(self, sid: int) -> int:
        """Resident bytes of the sandbox user's processes (or of the child's session)."""
        uid = self.slot.uid if self.slot else None
        return sum(p.rss for p in proc_table() if (p.uid == uid if uid is not None else p.sid == sid))

    def _end(self, proc: subprocess.Popen[bytes]) -> None:
        """Kill the child and everything it started, then reap it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if self.slot is not None:
            left = kill_uid(self.slot.uid)
            if left:
                raise SandboxError(f"{left} processes of {self.slot.user} survived the kill")
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILLed processes exit
            proc.kill()
            proc.wait()


class _Probed(NamedTuple):
    """A (python, isolation) pair ``probe`` has found working, so it is tried once per process."""

    python: str
    isolation: Isolation


_probed: set[_Probed] = set()


def probe(sandbox: Sandbox, python: str) -> None:
    """Fail early, with a clear message, when the child cannot start the interpreter."""
    key = _Probed(python, sandbox.isolation)
    if key in _probed:
        return
    with sandbox.work_folder() as work:
        res = sandbox.run(
            [python, "-P", "-s", "-B", "-c", "import numpy, sys; print('ok', sys.version_info[:2])"],
            work=work,
            cwd=work.path,
            wall_limit_s=60,
        )
    if res.returncode != 0 or "ok" not in res.output:
        who = f"the sandbox user {sandbox.slot.user}" if sandbox.slot else "the child"
        raise SandboxError(
            f"{who} cannot run {python} with numpy ({res.describe()}): {res.output.strip()[-600:]}\n"
            "Fix: make the virtual environment from a Python every user can read, e.g. "
            "`/usr/bin/python3 -m venv .venv` in a folder outside /root (see the README)."
        )
    _probed.add(key)
