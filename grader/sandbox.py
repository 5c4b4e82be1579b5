"""Run an untrusted command in a child process with limits, and end everything it started.

As root (Gradescope, CI), the child:
  - runs as a dedicated unprivileged user ``grader-sbN`` that nothing else runs as, one per
    concurrent grading slot, so "every process of that user" is exactly what it started;
  - gets a new network namespace (no network at all) and a private mount namespace in
    which staff folders (the reference, the expected outputs) are covered by empty tmpfs;
  - is placed in memory and pids cgroups (v1 or v2) that cap resident memory and process
    count, with rlimits on CPU time, file size, processes and core dumps as a second layer;
  - is ended with ``kill(-1, SIGKILL)`` issued as the sandbox user, which reaches processes
    that escaped the process group with ``setsid``.
Not as root (a student's laptop), it runs as the caller with rlimits, a process-group kill
and a memory watchdog, and says once what it cannot do.

Captured stdout and stderr are capped; the rest is counted and dropped.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import pwd
import re
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.manifest import Limits

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
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SLOTS = 16
JOBS_DIR = Path(os.environ.get("GRADER_JOBS_DIR", "/run/grader-jobs"))
USER_PREFIX = "grader-sb"
CGROUP_ROOT = Path("/sys/fs/cgroup")
STATE_DIR = Path(os.environ.get("GRADER_STATE_DIR", "/run/grader" if os.path.isdir("/run") else "/tmp/grader-state"))

_libc = ctypes.CDLL(None, use_errno=True)
_warned: set[str] = set()


class SandboxError(RuntimeError):
    """The sandbox cannot be set up; the message says what is wrong and how to fix it."""


def is_root() -> bool:
    return os.geteuid() == 0


def strict() -> bool:
    """In strict mode (tests, CI) a missing isolation feature is an error, never a fallback."""
    return os.environ.get("GRADER_STRICT", "") not in ("", "0")


def warn_once(key: str, message: str) -> None:
    """Print a note to stderr the first time, so a weaker sandbox is never silent."""
    if key not in _warned:
        _warned.add(key)
        print(f"grader: note: {message}", file=sys.stderr)


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


# --------------------------------------------------------------------------- users, slots


def _ensure_user(name: str) -> tuple[int, int]:
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
    """An exclusive grading slot (a sandbox user and cgroups of its own), held by flock."""

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
        self._fh.close()


def _sandbox_users() -> dict[str, int]:
    """Sandbox user name -> uid, for the users that exist."""
    out = {}
    for i in range(SLOTS):
        with contextlib.suppress(KeyError):
            out[f"{USER_PREFIX}{i}"] = pwd.getpwnam(f"{USER_PREFIX}{i}").pw_uid
    return out


def sweep_idle_slots(own: int | None = None) -> list[str]:
    """Clean every idle slot that a killed grading left dirty (processes of its user, job
    folders); returns their users. A slot is idle when its lock can be taken: no grading holds it.
    """
    users = _sandbox_users()
    busy_uids = {uid for _, uid, _, _ in _proc_table()}
    stale = set()
    for parent in _job_parents():
        with contextlib.suppress(OSError):
            stale.update(p.name[len("grader-job-") :].rsplit("-", 1)[0] for p in parent.glob("grader-job-*-*"))
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
            _kill_uid(users[user])
            _remove_files_of(users[user])
            _sweep_jobs(user)
            cleaned.append(user)
        finally:
            fh.close()
    return cleaned


# --------------------------------------------------------------------------- cgroups


class Cgroup:
    """Memory and pids limits for one slot: cgroup v1 controllers or a v2 group, if writable."""

    def __init__(self, name: str, memory_bytes: int, max_pids: int) -> None:
        self.paths: list[Path] = []
        self.memory: Path | None = None
        self.v2 = False
        self.limit = memory_bytes
        mem_v1, pids_v1 = CGROUP_ROOT / "memory", CGROUP_ROOT / "pids"
        try:
            if (mem_v1 / "memory.limit_in_bytes").exists():
                self.memory = self._make(mem_v1 / name)
                for f in ("memory.memsw.limit_in_bytes",):  # unset before lowering the limit
                    if (self.memory / f).exists():
                        (self.memory / f).write_text("-1")
                (self.memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
                if (self.memory / "memory.memsw.limit_in_bytes").exists():
                    (self.memory / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
                (self.memory / "memory.max_usage_in_bytes").write_text("0")
                self._oom0 = self._oom_kills()
                if (pids_v1 / "cgroup.procs").exists():
                    pids = self._make(pids_v1 / name)
                    (pids / "pids.max").write_text(str(max_pids))
            elif (CGROUP_ROOT / "cgroup.controllers").exists():
                group = self._make(CGROUP_ROOT / name)
                self.v2, self.memory = True, group
                (group / "memory.max").write_text(str(memory_bytes))
                (group / "memory.swap.max").write_text("0") if (group / "memory.swap.max").exists() else None
                (group / "pids.max").write_text(str(max_pids))
                self._oom0 = self._oom_kills()
        except OSError as exc:
            self.paths, self.memory = [], None
            self.error = str(exc)
        else:
            self.error = "" if self.memory else "no cgroup memory controller found"

    def _make(self, path: Path) -> Path:
        path.mkdir(exist_ok=True)
        self.paths.append(path)
        return path

    @property
    def ok(self) -> bool:
        return self.memory is not None

    def procs_files(self) -> list[str]:
        return [str(p / "cgroup.procs") for p in self.paths]

    def _oom_kills(self) -> int:
        assert self.memory is not None
        name = "memory.events" if self.v2 else "memory.oom_control"
        try:
            for line in (self.memory / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except OSError:
            pass
        return 0

    def memory_exceeded(self) -> bool:
        """Whether the limit was hit since the previous call (each run asks once, at its end)."""
        if self.memory is None:
            return False
        kills = self._oom_kills()
        hit, self._oom0 = kills > self._oom0, kills  # so a later run is not blamed for this one
        if not self.v2:
            try:
                peak = int((self.memory / "memory.max_usage_in_bytes").read_text())
                failcnt = int((self.memory / "memory.failcnt").read_text())
                hit = hit or (failcnt > 0 and peak >= self.limit * 0.98)
                for name in ("memory.failcnt", "memory.max_usage_in_bytes"):
                    (self.memory / name).write_text("0")
            except (OSError, ValueError):
                pass
        return hit

    def pids(self) -> list[int]:
        out: set[int] = set()
        for f in self.procs_files():
            with contextlib.suppress(OSError, ValueError):
                out.update(int(x) for x in Path(f).read_text().split())
        return sorted(out)


# --------------------------------------------------------------------------- processes


def _proc_table() -> list[tuple[int, int, int, int]]:
    """(pid, real uid, session id, resident bytes) of every process we can see."""
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
        rows.append((int(entry), uid, sid, rss))
    return rows


def _kill_uid(uid: int) -> int:
    """SIGKILL every process of ``uid`` (kill(-1) as that user); returns how many remain."""
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
        left = [p for p, u, _, _ in _proc_table() if u == uid]
        if not left:
            return 0
        time.sleep(0.02)
    return len(left)


SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")  # writable by every user


def _remove_files_of(uid: int) -> None:
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


def _job_parents() -> list[Path]:
    return [JOBS_DIR, Path("/var/lib/grader-jobs")]


def _mount_points_under(folder: Path) -> list[bytes]:
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


def _sweep_jobs(user: str) -> int:
    """Remove the job folders a killed grading of ``user``'s slot left behind; returns how many."""
    count = 0
    for parent in _job_parents():
        with contextlib.suppress(OSError):
            for folder in parent.glob(f"grader-job-{user}-*"):
                for point in _mount_points_under(folder):
                    _libc.umount2(point, MNT_DETACH)
                shutil.rmtree(folder, ignore_errors=True)
                count += 1
    return count


# Syscalls no grading needs, and that reach state outliving the child: kernel keyrings (kept
# per user, and the session keyring is shared with the grader and its other children) and
# POSIX message queues. They fail with EPERM.
_BLOCKED_SYSCALLS = {
    "x86_64": (0xC000003E, (240, 241, 242, 243, 244, 245, 248, 249, 250)),
    "aarch64": (0xC00000B7, (180, 181, 182, 183, 184, 185, 217, 218, 219)),
}


class _SockFilter(ctypes.Structure):
    _fields_ = (("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32))


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter)))


def seccomp_program() -> _SockFprog | None:
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
    filters = (_SockFilter * len(code))(*[_SockFilter(*c) for c in code])
    prog = _SockFprog(len(code), filters)
    prog._keep = filters  # type: ignore[attr-defined]  # the array must outlive the struct
    return prog


_seccomp_ok: bool | None = None


def seccomp_available() -> bool:
    """Whether a seccomp filter can be installed here (tried in a fork)."""
    global _seccomp_ok
    if _seccomp_ok is None:
        prog = seccomp_program()
        if prog is None:
            _seccomp_ok = False
            return False
        pid = os.fork()
        if pid == 0:  # pragma: no cover - in the forked probe
            ok = _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            ok = ok and _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) == 0
            os._exit(0 if ok else 1)
        _, status = os.waitpid(pid, 0)
        _seccomp_ok = os.waitstatus_to_exitcode(status) == 0
    return _seccomp_ok


# --------------------------------------------------------------------------- the sandbox


@dataclass
class Sandbox:
    """Runs commands under ``limits``; one instance per grading (it holds a slot when root).

    Args:
        limits: the manifest's limits.
        hide: folders to cover with empty tmpfs inside the child's mount namespace (root).
        isolate: run as the sandbox user in namespaces; default: when root.
    """

    limits: Limits
    hide: Sequence[Path] = ()
    isolate: bool | None = None
    trusted: bool = False
    slot: Slot | None = field(default=None, init=False)
    cgroup: Cgroup | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.namespaces = False
        self.seccomp = False
        if self.isolate is None:
            self.isolate = is_root() and not self.trusted
        if self.isolate and not is_root():
            raise SandboxError("isolation needs root")
        if self.isolate:
            self.slot = Slot()
            self.cgroup = Cgroup(f"grader-{self.slot.user}", self.limits.memory_mb * 2**20, self.limits.max_processes)
            # A grading killed mid-way (the grader itself got SIGKILL) may have left the slot
            # dirty: its user's processes, files and job folder. Clean it before using it.
            self._clean_slot()
            sweep_idle_slots(own=self.slot.index)  # and any other slot a killed grading left dirty
            self.seccomp = seccomp_available()
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
        elif not self.trusted:
            warn_once(
                "noroot",
                ("sandbox isolation is turned off" if is_root() else "not running as root")
                + ", so student code runs as you, with network access and no process-count limit "
                "(Gradescope runs the full sandbox)",
            )

    def _clean_slot(self) -> None:
        """End every process of the slot's user, empty its cgroup, delete its files in the
        shared folders and the job folders it left (done when the slot is taken and released)."""
        assert self.slot is not None
        left = _kill_uid(self.slot.uid)
        if self.cgroup is not None:
            for pid in self.cgroup.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        _remove_files_of(self.slot.uid)
        _sweep_jobs(self.slot.user)
        if left:
            raise SandboxError(f"{left} processes of {self.slot.user} survived the kill")

    def close(self) -> None:
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

    def make_workdir(self) -> Path:
        """A fresh folder for one run: root-owned, traversable by this slot's user only.

        Not by other users: the path shows in /proc/PID/cmdline, and a grading running at the
        same time (another slot) must not read this one's code.
        """
        parent = None
        if self.slot is not None and self.namespaces:
            # Not under /tmp: the child gets a private tmpfs there, which would hide the job.
            for parent in (JOBS_DIR, Path("/var/lib/grader-jobs")):
                try:
                    parent.mkdir(mode=0o711, parents=True, exist_ok=True)
                    os.chmod(parent, 0o711)
                    break
                except OSError:
                    continue
            else:
                raise SandboxError(f"cannot create a folder for grading jobs ({JOBS_DIR} or /var/lib/grader-jobs)")
        prefix = f"grader-job-{self.slot.user}-" if self.slot is not None else "grader-job-"
        base = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        if self.slot is not None:
            os.chown(base, -1, self.slot.gid)
            os.chmod(base, 0o710)
        elif self.isolate:
            os.chmod(base, 0o711)
        return base

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
        if _libc.mount(b"tmpfs", os.fsencode(str(path)), b"tmpfs", MS_NOSUID | MS_NODEV, opts.encode()) != 0:
            err = ctypes.get_errno()
            raise SandboxError(f"cannot mount a tmpfs for the child's outputs at {path}: {os.strerror(err)}")
        try:
            yield path
        finally:
            _libc.umount2(os.fsencode(str(path)), MNT_DETACH)

    def env(self, workdir: Path) -> dict[str, str]:
        home = workdir / "home"
        home.mkdir(exist_ok=True)
        (home / "tmp").mkdir(exist_ok=True)
        self.give(home)
        if self.slot is not None:
            os.chown(home / "tmp", self.slot.uid, self.slot.gid)
        n = str(self.limits.threads)
        user = self.slot.user if self.slot else os.environ.get("USER", "student")
        self._home = home
        # With namespaces, home and /tmp are private tmpfs mounts (see _preexec).
        tmp = "/tmp" if self.slot is not None and self.namespaces else str(home / "tmp")
        return {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
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

    def _preexec(self) -> Callable[[], None]:
        limits = self.limits
        slot, cgroup = self.slot, self.cgroup
        hide = [os.fsencode(str(p)) for p in self.hide if Path(p).is_dir()]
        namespaces = self.namespaces
        home = getattr(self, "_home", None)
        scratch_mb = max(16, min(limits.memory_mb // 2, 1024))
        private = [os.fsencode(f) for f in SHARED_FOLDERS if os.path.isdir(f)]
        # The interpreter's environment may live under /tmp (a fresh clone's .venv) or under a
        # folder other users cannot enter (/root, where pyenv puts Python): such folders get an
        # empty tmpfs too, and the environment is bound back, so the child can start Python.
        keep = sorted({os.fsencode(p) for p in interpreter_paths()})
        covers = [(p, b"mode=1777") for p in private] + [(p, b"mode=0755") for p in _blocked_ancestors(keep)]
        covers = [(p, o) for p, o in covers if not any(p.startswith(q.rstrip(b"/") + b"/") for q, _ in covers)]
        home_opts = b""
        if slot is not None and home is not None:
            home_opts = f"size={scratch_mb}m,mode=0700,uid={slot.uid},gid={slot.gid}".encode()
        procs = [os.fsencode(f) for f in (cgroup.procs_files() if cgroup else [])]
        cpu = int(limits.time_limit_s * max(1, limits.threads) + 5)
        fsize = limits.max_file_mb * 2**20
        prog = seccomp_program() if slot is not None and self.seccomp else None
        seccomp = ctypes.byref(prog) if prog is not None else None

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
                if namespaces:
                    if _libc.unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC) != 0:
                        fail("unshare(network, mount, ipc)")
                    if _libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
                        fail("making mounts private")
                    for path in hide:
                        flags = MS_RDONLY | MS_NOSUID | MS_NODEV
                        if _libc.mount(b"tmpfs", path, b"tmpfs", flags, b"size=4k,mode=000") != 0:
                            fail(f"hiding {os.fsdecode(path)}")
                    # Private scratch space: nothing written there outlives the child or reaches
                    # another grading, and tmpfs pages count against the memory cgroup, so
                    # scratch files cannot fill the disk.
                    for path, mode in covers:
                        opts = f"size={scratch_mb}m,".encode() + mode
                        inner = [k for k in keep if k.startswith(path.rstrip(b"/") + b"/")]
                        fds = [os.open(k, os.O_PATH | os.O_DIRECTORY) for k in inner]
                        if _libc.mount(b"tmpfs", path, b"tmpfs", MS_NOSUID | MS_NODEV, opts) != 0:
                            fail(f"a private {os.fsdecode(path)}")
                        for k, fd in zip(inner, fds, strict=True):
                            os.makedirs(k, exist_ok=True)
                            if _libc.mount(f"/proc/self/fd/{fd}".encode(), k, None, MS_BIND | MS_REC, None) != 0:
                                fail(f"binding {os.fsdecode(k)} back")
                            os.close(fd)
                    if (
                        home_opts
                        and _libc.mount(b"tmpfs", os.fsencode(str(home)), b"tmpfs", MS_NOSUID | MS_NODEV, home_opts)
                        != 0
                    ):
                        fail("a private home")
                resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if slot is not None:
                os.setgroups([])
                os.setresgid(slot.gid, slot.gid, slot.gid)
                os.setresuid(slot.uid, slot.uid, slot.uid)
                _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
                if seccomp is not None and _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, seccomp, 0, 0) != 0:
                    fail("installing the seccomp filter")
            # If the grader dies (SIGKILL, OOM), the child dies with it; set after the uid
            # change, which clears it. What the child started is ended when the slot is next taken.
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

        return preexec

    def run(
        self,
        argv: Sequence[str],
        cwd: Path,
        env: dict[str, str],
        wall_limit_s: float,
        poll: Callable[[], str | None] | None = None,
    ) -> RunResult:
        """Run ``argv`` and wait; ``poll()`` is called often and may return a reason to kill."""
        cap = self.limits.max_output_kb * 1024
        start = time.monotonic()
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=self._preexec(),
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
            result.escaped = sum(1 for _, _, sid, _ in _proc_table() if sid == proc.pid)
        return result

    def _resident(self, sid: int) -> int:
        uid = self.slot.uid if self.slot else None
        return sum(rss for _, u, s, rss in _proc_table() if (u == uid if uid is not None else s == sid))

    def _end(self, proc: subprocess.Popen[bytes]) -> None:
        """Kill the child and everything it started, then reap it."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        if self.slot is not None:
            left = _kill_uid(self.slot.uid)
            if left:
                raise SandboxError(f"{left} processes of {self.slot.user} survived the kill")
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILLed processes exit
            proc.kill()
            proc.wait()


def interpreter_paths() -> list[str]:
    """Folders the child needs to run this Python: the environment and the install it comes from."""
    out = set()
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        out.update({p, os.path.realpath(p)})
    return sorted(p for p in out if p and p != "/" and os.path.isdir(p))


def _blocked_ancestors(paths: list[bytes]) -> list[bytes]:
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


_ns_ok: bool | None = None


def namespaces_available() -> bool:
    """Whether this process may create network and mount namespaces (tried in a fork)."""
    global _ns_ok
    if _ns_ok is None:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - in the forked probe
            os._exit(0 if _libc.unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC) == 0 else 1)
        _, status = os.waitpid(pid, 0)
        _ns_ok = os.waitstatus_to_exitcode(status) == 0
    return _ns_ok


def probe(sandbox: Sandbox, python: str) -> None:
    """Fail early, with a clear message, when the child cannot start the interpreter."""
    key = (python, sandbox.isolate)
    if key in _probed:
        return
    work = sandbox.make_workdir()
    try:
        res = sandbox.run(
            [python, "-P", "-s", "-B", "-c", "import numpy, sys; print('ok', sys.version_info[:2])"],
            cwd=work,
            env=sandbox.env(work),
            wall_limit_s=60,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if res.returncode != 0 or "ok" not in res.output:
        who = f"the sandbox user {sandbox.slot.user}" if sandbox.slot else "the child"
        raise SandboxError(
            f"{who} cannot run {python} with numpy ({res.describe()}): {res.output.strip()[-600:]}\n"
            "Fix: make the virtual environment from a Python every user can read, e.g. "
            "`/usr/bin/python3 -m venv .venv` in a folder outside /root (see the README)."
        )
    _probed.add(key)


_probed: set[tuple[str, bool | None]] = set()
