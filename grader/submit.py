"""``submit``: check a student's files against the manifest and zip them for upload.

Student side: a handout carries this module, and ``make submit`` runs it through
``python -m grader submit .``. It runs the public tests first (``make test``) and prints
their points, names each function that is still a stub, and refuses to write the zip
when a source file is missing, too large or does not compile.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.manifest import Manifest

# The stub a handout has in place of each solution region (markers.strip_solutions writes it).
STUB_RE = re.compile(r'raise NotImplementedError\("([\w.]+): not implemented yet \(see the README\)"\)')


@dataclass
class FileCheck:
    """What ``check_files`` found: problems stop the zip, warnings do not."""

    present: list[str] = field(default_factory=list)  # manifest paths found, in manifest order
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_files(manifest: Manifest) -> FileCheck:
    """Check each manifest file in the assignment folder: there, within its size limit, compiling,
    and no stub left (a warning)."""
    found = FileCheck()
    for rel in manifest.files:
        path = manifest.root / rel
        if not path.is_file():
            if rel.endswith(".py"):
                found.problems.append(f"{rel}: missing")
            else:  # a trained checkpoint: the rest can still be graded
                found.warnings.append(f"{rel}: missing; the tests that need it will score 0")
            continue
        found.present.append(rel)
        if path.stat().st_size > manifest.limit_bytes(rel):
            found.problems.append(
                f"{rel}: {path.stat().st_size // 1024} KB, over the {manifest.limit_bytes(rel) // 1024} KB limit"
            )
        if not rel.endswith(".py"):
            continue
        text = path.read_text(errors="replace")
        try:
            compile(text, str(path), "exec")
        except SyntaxError as exc:
            found.problems.append(f"{rel}:{exc.lineno}: syntax error: {exc.msg}")
        stubs = STUB_RE.findall(text)
        if stubs:
            names = ", ".join(stubs)
            found.warnings.append(f"{rel}: {len(stubs)} function(s) still raise NotImplementedError: {names}")
    return found


def public_tests(manifest: Manifest) -> Path | None:
    """The folder of the public tests (``make test``), None when the assignment has none."""
    tests = manifest.root / Path(manifest.public_cases).parent
    return tests if (tests / "test_public.py").is_file() else None


def public_test_summary(manifest: Manifest, tests: Path) -> str:
    """Run the public tests in ``tests`` and return their last lines: the points summary."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=no", str(tests)]
    try:
        proc = subprocess.run(cmd, cwd=manifest.root, capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        return "the public tests took more than 30 minutes; stopped"
    lines = proc.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "public points" in line), None)
    shown = lines[start + 1 :] if start is not None else lines[-5:]
    if proc.returncode != 0:
        shown.append("some public tests fail: run make test for the messages (you can still submit)")
    return "\n".join(shown)


def write_zip(manifest: Manifest, files: list[str], out: Path) -> None:
    """Zip ``files`` (manifest paths) from the assignment folder to ``out``, under the same paths."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in files:
            zf.write(manifest.root / rel, rel)


def submit(manifest: Manifest, out: Path, run_tests: bool = True) -> int:
    """The ``submit`` command: check, optionally run the public tests, print, write ``out``;
    returns the exit status (1 when the zip was not written)."""
    found = check_files(manifest)
    tests = public_tests(manifest) if run_tests else None
    if tests is not None:
        print("running the public tests first (make test) ...", flush=True)
        print(public_test_summary(manifest, tests))
    for w in found.warnings:
        print(f"warning: {w}")
    if found.problems:
        for p in found.problems:
            print(f"error: {p}")
        print("submission NOT written")
        return 1
    write_zip(manifest, found.present, out)
    print(f"wrote {out} with {len(found.present)} files: {', '.join(found.present)}; upload it to Gradescope")
    return 0
