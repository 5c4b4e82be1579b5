"""Build the student handout of an assignment from the course repository.

The handout is the assignment folder with every solution region replaced by a stub, the
public cases' expected values baked into ``tests/expected/``, and a copy of the grader's
student-side code (public-test runner, ``submit``). It never contains ``grading/``, hidden
cases or their expected values. The build is deterministic: same sources, same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from grader import oracle
from grader import public as public_tests
from grader.manifest import Manifest, load_manifest
from grader.markers import MarkerError, find_regions, strip_solutions

GRADER_DIR = Path(__file__).resolve().parent
REPO_ROOT = GRADER_DIR.parent
# Never copied into a handout (or an autograder build), whatever the assignment holds.
EXCLUDED_DIRS = {
    "grading",
    "expected",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "runs",
    "build",
    "full",
}
EXCLUDED_SUFFIXES = {".pyc", ".pyo", ".zip"}
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".json", ".sh", ""}


def _files(root: Path) -> list[Path]:
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS and not d.startswith("."))
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            if p.suffix not in EXCLUDED_SUFFIXES and not p.is_symlink():
                out.append(p)
    return out


def copy_stubbed(src_root: Path, dest_root: Path, exclude: frozenset[str] = frozenset()) -> int:
    """Copy ``src_root`` to ``dest_root`` with regions stubbed; returns the region count.

    ``exclude`` names files (relative POSIX paths) never to copy: the non-source submission
    files, whose repository copy is the course's reference (a trained checkpoint).
    """
    count = 0
    for path in _files(src_root):
        rel = path.relative_to(src_root)
        if rel.as_posix() in exclude:
            continue
        target = dest_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            lines = path.read_text().splitlines(keepends=True)
            count += len(find_regions(lines, str(path)))
            target.write_text("".join(strip_solutions(lines, str(path))))
        else:
            if path.suffix in TEXT_SUFFIXES or path.name == "Makefile":
                text = path.read_text(errors="replace")
                if "BEGIN SOLUTION" in text and path.suffix != ".md":
                    raise MarkerError(f"{path}: solution markers are only allowed in .py files")
            shutil.copyfile(path, target)
        os.chmod(target, 0o755 if os.access(path, os.X_OK) and path.suffix in (".sh", "") else 0o644)
    return count


def copy_grader(dest: Path) -> None:
    """The grader package without its own tests: students run public tests and submit with it."""
    for path in _files(GRADER_DIR):
        rel = path.relative_to(GRADER_DIR)
        if rel.parts[0] == "tests":
            continue
        target = dest / "grader" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def binary_files(manifest: Manifest) -> frozenset[str]:
    """Submission files that are not source: kept out of handouts and autograder zips."""
    return frozenset(f for f in manifest.files if not f.endswith(".py"))


def requirements_of(manifest: Manifest) -> Path:
    """The assignment's own pinned requirements when it has them, else the course's."""
    own = manifest.root / "requirements.txt"
    return own if own.exists() else REPO_ROOT / "requirements.txt"


def environment_yml(requirements: Path, name: str) -> str:
    """A conda environment with Python 3.11 and exactly the pinned pip requirements."""
    pins = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    body = "".join(f"      - {p}\n" for p in pins if p)
    return (
        f"# conda env create -f environment.yml && conda activate {name}\n"
        f"name: {name}\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n{body}"
    )


def release(assignment: Path | Manifest, out: Path) -> Path:
    """Build the handout of ``assignment`` in ``out`` (replaced if it exists)."""
    manifest = assignment if isinstance(assignment, Manifest) else load_manifest(assignment)
    oracle_dir = oracle.cached(manifest)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_stubbed(manifest.root, out, binary_files(manifest))
    copy_grader(out)
    requirements = requirements_of(manifest)
    shutil.copyfile(requirements, out / "requirements.txt")
    (out / "environment.yml").write_text(environment_yml(requirements, f"dlcourse-{manifest.name}"))
    expected = out / Path(manifest.public_cases).parent / "expected"
    expected.mkdir(parents=True, exist_ok=True)
    for case, public in oracle.load_cases(manifest, include_hidden=False):
        if not public:
            continue
        for kind in ("in", "out", "secret"):
            target = expected / f"{case.name}.{kind}.npz"
            shutil.copyfile(oracle_dir / oracle.PUBLIC_DIR / f"{case.name}.{kind}.npz", target)
            os.chmod(target, 0o644)
    # Each public case's time limit, the grader's own, so that make test stops a case where the
    # autograder would and names it.
    limits = public_tests.limits_document(manifest, oracle_dir)
    (expected / public_tests.LIMITS_FILE).write_text(json.dumps(limits, indent=1, sort_keys=True) + "\n")
    return out
