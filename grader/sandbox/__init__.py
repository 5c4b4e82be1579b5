"""Run an untrusted command in a child process with limits, and end everything it started.

One module per concern, read top-down:

    host.py       libc, the kernel's flag values, SandboxError, strict mode and notes
    processes.py  the process table from /proc; kill every process of a user
    jobs.py       WorkFolder (one grading's folder and the child's home), leftover job folders
    mounts.py     namespaces, the child's mount plan (staff folders hidden, private /tmp)
    slots.py      grading slots: a dedicated sandbox user each, held by flock; cleaning them
    cgroups.py    memory and pids limits (cgroup v1 or v2)
    seccomp.py    the BPF filter that closes keyrings and message queues
    box.py        Isolation, RunResult, the Sandbox (work folders, environment, run), probe

As root (Gradescope, CI) the child runs with Isolation.FULL:
  - as a dedicated unprivileged user ``grader-sbN`` that nothing else runs as, one per
    concurrent grading slot, so "every process of that user" is exactly what it started;
  - in a new network namespace (no network at all) and a private mount namespace in which
    staff folders (the reference, the expected outputs) are covered by empty tmpfs;
  - in memory and pids cgroups (v1 or v2) that cap resident memory and process count, with
    rlimits on CPU time, file size, processes and core dumps as a second layer;
  - ended with ``kill(-1, SIGKILL)`` issued as the sandbox user, which reaches processes
    that escaped the process group with ``setsid``.
Not as root (a student's laptop), it runs as the caller with rlimits, a process-group kill
and a memory watchdog, and says once what it cannot do.

Usage::

    with Sandbox(manifest.limits, hide=staff_folders) as sb, sb.work_folder() as work:
        result = sb.run([python, "child.py", job], work=work, cwd=code_dir, wall_limit_s=60)
"""

from grader.sandbox.box import Isolation, RunResult, Sandbox, probe
from grader.sandbox.host import SandboxError, is_root
from grader.sandbox.jobs import WorkFolder
from grader.sandbox.mounts import interpreter_paths
from grader.sandbox.slots import SLOTS, STATE_DIR, USER_PREFIX, sandbox_users

__all__ = [
    "SLOTS",
    "STATE_DIR",
    "USER_PREFIX",
    "Isolation",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "WorkFolder",
    "interpreter_paths",
    "is_root",
    "probe",
    "sandbox_users",
]
