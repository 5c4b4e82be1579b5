"""Build the Gradescope autograder zip of an assignment.

Layout of the zip::

    setup.sh            run once as root when the image is built: Python 3.11 + pinned packages
    run_autograder      run as root for each submission: grades $AUTOGRADER_ROOT/submission
    requirements.txt
    grader/             the grading engine (all of it, without its tests)
    trainkit/           the staff library the assignment packages import (without its tests)
    <assignment>/       the handout (stubs), hidden cases in grading/, expected/ (oracle)

Gradescope unzips it into /autograder/source and copies run_autograder to /autograder.

The zip holds no solution text: the oracle's expected outputs replace the reference. Entries
have fixed timestamps and a fixed order, so the same sources give the same bytes.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from grader import oracle
from grader.handout import binary_files, copy_grader, copy_stubbed, copy_trainkit, requirements_of
from grader.layout import PUBLIC_DIR, TEMPLATES_DIR, shipped_oracle
from grader.manifest import Manifest, load_manifest


def _write_zip(src: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            rel = path.relative_to(src).as_posix()
            info = zipfile.ZipInfo(rel, date_time=(1980, 1, 1, 0, 0, 0))
            executable = path.stat().st_mode & stat.S_IXUSR
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())


def stage(manifest: Manifest, dest: Path) -> Path:
    """Lay out the autograder's files in ``dest`` (what the zip holds)."""
    oracle_dir = oracle.cached(manifest)
    dest.mkdir(parents=True, exist_ok=True)
    source = dest
    assignment = source / manifest.name
    copy_stubbed(manifest.root, assignment, binary_files(manifest))
    if manifest.hidden_cases and (manifest.root / manifest.hidden_cases).exists():
        target = assignment / manifest.hidden_cases
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(manifest.root / manifest.hidden_cases, target)
    # The graded run only: the public (unsalted) files are the handout's business.
    shutil.copytree(oracle_dir, shipped_oracle(assignment), ignore=shutil.ignore_patterns(PUBLIC_DIR))
    copy_grader(source)  # the whole grader, without its tests
    copy_trainkit(source)
    shutil.copyfile(requirements_of(manifest), dest / "requirements.txt")
    for name in ("setup.sh", "run_autograder"):
        text = (TEMPLATES_DIR / name).read_text().replace("@ASSIGNMENT@", manifest.name)
        (dest / name).write_text(text)
        os.chmod(dest / name, 0o755)
    return dest


def build(assignment: Path | Manifest, out: Path) -> Path:
    """Write the autograder zip of ``assignment`` to ``out``."""
    manifest = assignment if isinstance(assignment, Manifest) else load_manifest(assignment)
    with tempfile.TemporaryDirectory(prefix="grader-autograder-") as tmp:
        stage(manifest, Path(tmp) / "ag")
        _write_zip(Path(tmp) / "ag", Path(out))
    return Path(out)
