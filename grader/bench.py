"""``bench``: what the sandbox costs. Grades the reference three ways in one process and
prints the times and ratios: the cases run in-process (as the public tests run them), in a
plain child process, and in the full sandbox (as root: user, namespaces, cgroups)."""

from __future__ import annotations

import statistics
import sys
import time

from grader import oracle
from grader.casefiles import load_cases
from grader.cases import load_npz, to_arrays
from grader.check import reference_files
from grader.grade import grade
from grader.manifest import Manifest
from grader.sandbox import is_root


def _in_process(manifest: Manifest, oracle_dir) -> float:
    cases = load_cases(manifest)
    sys.path.insert(0, str(manifest.root))
    try:
        t0 = time.perf_counter()
        for case, _ in cases:
            inputs = load_npz(oracle_dir / f"{case.name}.in.npz")
            to_arrays(case.run(**inputs, **dict(case.params)))
        return time.perf_counter() - t0
    finally:
        sys.path.remove(str(manifest.root))


def bench(manifest: Manifest, repeat: int = 3) -> int:
    oracle_dir = oracle.locate(manifest)
    ref = reference_files(manifest)
    rows: dict[str, list[float]] = {"in-process (no child)": [], "child, no sandbox": []}
    if is_root():
        rows["child, full sandbox"] = []
    for _ in range(repeat):
        rows["in-process (no child)"].append(_in_process(manifest, oracle_dir))
        for label, isolate in (("child, no sandbox", False), ("child, full sandbox", True)):
            if label not in rows:
                continue
            t0 = time.perf_counter()
            g = grade(manifest, None, student_files=ref, oracle_dir=oracle_dir, isolate=isolate)
            rows[label].append(time.perf_counter() - t0)
            if g.score != g.max_score:
                print(f"warning: the reference scored {g.score}/{g.max_score} ({label})")
    base = statistics.median(rows["in-process (no child)"])
    print(f"grading {manifest.name}'s reference, median of {repeat}:")
    for label, times in rows.items():
        med = statistics.median(times)
        print(f"  {label:24s} {med:7.2f} s   x{med / base:5.2f} of in-process")
    if "child, full sandbox" in rows:
        plain, full = (statistics.median(rows[k]) for k in ("child, no sandbox", "child, full sandbox"))
        print(f"  sandbox overhead: {full - plain:+.2f} s ({full / plain:.2f}x a plain child)")
    return 0
