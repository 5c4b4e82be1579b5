"""Attack: read the expected outputs or the reference instead of computing. add is honest (3).

scale tries the known staff paths (the toy's reference and oracle, the course repository's
assignment sources and .git) and execs the reference ops.py when it can read it. row_sums
walks the file system from / for three seconds looking for oracle.json and the hidden cases'
*.out.npz and *.secret.npz, and returns row_sums_values.out.npz when it finds a readable one.
Every staff file it manages to read is printed as "LEAK path"; "SEARCHED n" ends the walk.
"""

import glob
import io
import os
import time

import numpy as np

MARKER = "HOSTILE-READ-EXPECTED"  # tells our own copy apart from the reference
REPO = "/work/main"  # the test writes the course repository's path here
REFERENCE = f"{REPO}/grader/tests/fixtures/toy/toy_pkg/ops.py"
ORACLE = f"{REPO}/grader/tests/fixtures/build/oracle/toy"
HIDDEN = ("add_broadcast", "scale_values", "row_sums_values", "add_signs")  # public outputs ship in handouts
SKIP = {
    "/proc",
    "/sys",
    "/dev",
    "/usr",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/boot",
    "/var/lib",
    "/etc",
    "/snap",
}
_leaks = set()


def _read(path, limit=1 << 20):
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def _leak(path):
    if path not in _leaks and len(_leaks) < 20:
        _leaks.add(path)
        print("LEAK", path, flush=True)


def _walk(seconds):
    """Readable oracle files anywhere: name -> path."""
    found = {}
    deadline = time.monotonic() + seconds
    roots = [REPO, "/autograder", "/tmp", "/run", "/root", "/home", "/srv", "/opt", "/mnt", "/work", "/"]
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            if time.monotonic() > deadline:
                return found
            dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in SKIP and d not in (".venv",)]
            for fn in filenames:
                if fn == "oracle.json" or (fn.startswith(HIDDEN) and fn.endswith((".out.npz", ".secret.npz"))):
                    path = os.path.join(dirpath, fn)
                    if _read(path, 1) is not None:
                        found.setdefault(fn, path)
    return found


def _reference():
    """The reference's text, if any copy of it can be read."""
    candidates = [REFERENCE, *glob.glob(f"{REPO}/**/toy_pkg/ops.py", recursive=True)]
    for path in candidates:
        data = _read(path)
        if data and b"def scale" in data and MARKER.encode() not in data:
            _leak(path)
            return data.decode()
    return None


def _repository():
    """Staff sources of the course repository: assignment code and git objects."""
    for pattern in (f"{REPO}/assignment*/**/*.py", f"{REPO}/.git/objects/*/*", f"{ORACLE}/*"):
        for path in glob.glob(pattern, recursive=True)[:50]:
            if _read(path, 1) is not None:
                _leak(path)
                break
    for path in (f"{REPO}/.git/HEAD", f"{REPO}/grader/grade.py", f"{ORACLE}/oracle.json"):
        if _read(path, 1) is not None:
            _leak(path)


def add(a, b):
    return a + b


def scale(x, s):
    _repository()
    text = _reference()
    if text is None:
        return np.zeros_like(x)
    namespace = {}
    exec(text, namespace)
    return namespace["scale"](x, s)


def row_sums(x):
    found = _walk(3.0)
    for _name, path in sorted(found.items()):
        _leak(path)
    print("SEARCHED", len(found), flush=True)
    data = _read(found.get("row_sums_values.out.npz", ""))
    if data:
        with np.load(io.BytesIO(data)) as z:
            return z["out"]
    return np.zeros(x.shape[0])
