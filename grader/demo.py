"""``demo``: build an assignment's handout and autograder zip, then run that zip as Gradescope
does on two submissions, the reference and the bare stubs, and print the table."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from grader.autograder import build as build_autograder
from grader.check import reference_files, stub_files
from grader.handout import release
from grader.manifest import Manifest

SUBMISSION_METADATA = {  # what Gradescope puts in submission_metadata.json
    "id": 1,
    "created_at": "2026-01-01T00:00:00Z",
    "users": [{"email": "student@example.edu", "id": 1, "name": "A. Student", "sid": "000000000"}],
    "previous_submissions": [{"score": 79.0, "results": {"output": "an earlier submission's results"}}],
}


def run_zip(
    zip_path: Path, files: dict[str, bytes], results: Path, log: Path | None = None, root_parent: Path | None = None
) -> dict:
    """Unpack the autograder zip in a fresh AUTOGRADER_ROOT, grade ``files``, return results.

    As on Gradescope, the root holds ``submission_metadata.json`` (students' names and emails,
    earlier results), which the student's code must not read. Gradescope's root, /autograder,
    is not under /tmp (which the sandbox replaces for the child anyway): pass a
    ``root_parent`` outside /tmp to exercise that.
    """
    import json

    if root_parent is not None:
        root_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-gradescope-", dir=root_parent) as tmp:
        root = Path(tmp)
        os.chmod(root, 0o755)
        (root / "submission_metadata.json").write_text(json.dumps(SUBMISSION_METADATA, indent=1))
        os.chmod(root / "submission_metadata.json", 0o644)
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(root / "source")
        for name in ("run_autograder", "setup.sh"):
            os.chmod(root / "source" / name, 0o755)
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
        sub = root / "submission"
        for rel, data in files.items():  # as a student zips them: files at the top
            (sub).mkdir(exist_ok=True)
            (sub / Path(rel).name).write_bytes(data)
        env = dict(os.environ, AUTOGRADER_ROOT=str(root))
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        with open(log or os.devnull, "w") as fh:
            subprocess.run(
                ["bash", str(root / "run_autograder")],
                env=env,
                check=False,
                timeout=3600,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        data = json.loads((root / "results" / "results.json").read_text())
        shutil.copyfile(root / "results" / "results.json", results)
        return data


def demo(manifest: Manifest, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    handout = release(manifest, out / f"{manifest.name}-handout")
    print(f"handout:        {handout}")
    zip_path = build_autograder(manifest, out / f"{manifest.name}-autograder.zip")
    print(f"autograder zip: {zip_path} ({zip_path.stat().st_size // 1024} KB), built in {time.monotonic() - t0:.1f} s")
    t1 = time.monotonic()
    # The fake Gradescope root sits in the output folder, not under /tmp, as /autograder is not.
    roots = out.resolve() / "gradescope-root"
    ref = run_zip(zip_path, reference_files(manifest), out / "results-reference.json", out / "log-reference.txt", roots)
    t2 = time.monotonic()
    stubs = run_zip(zip_path, stub_files(manifest), out / "results-stubs.json", out / "log-stubs.txt", roots)
    print(f"graded through run_autograder: reference in {t2 - t1:.1f} s, stubs in {time.monotonic() - t2:.1f} s\n")
    print(f"{'test':64s} {'points':>6s} {'reference':>9s} {'stubs':>6s}")
    for r, s in zip(ref["tests"], stubs["tests"], strict=True):
        print(f"{r['name'][:64]:64s} {r['max_score']:6g} {r['score']:9g} {s['score']:6g}")
    total = sum(t["max_score"] for t in ref["tests"])
    print(f"{'total':64s} {total:6g} {ref['score']:9g} {stubs['score']:6g}")
    ok = ref["score"] == total and stubs["score"] == 0 and total > 0
    print("\nreference full, stubs zero: " + ("yes" if ok else "NO"))
    return 0 if ok else 1
