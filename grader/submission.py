"""Read a submission as a student uploads it: a zip or a folder, files anywhere inside.

Only the manifest's files are taken; everything else (a ``conftest.py``, a ``numpy/``
folder, notebooks, ``__MACOSX``) is ignored. Unzipping is safe: no member may escape the
target folder, symlinks are neither created nor followed, and file-count and size limits
hold however the zip's headers lie.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.manifest import Manifest

IGNORED_DIRS = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", ".venv", "venv", "node_modules"}


class SubmissionError(ValueError):
    """The submission cannot be read at all (not a zip, over a limit, unsafe)."""


@dataclass
class Submission:
    """The manifest's files found in a submission, with notes for the student."""

    files: dict[str, bytes] = field(default_factory=dict)  # manifest path -> content
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def safe_extract(zip_path: Path, dest: Path, max_files: int, max_bytes: int) -> list[str]:
    """Extract ``zip_path`` into ``dest``, refusing anything unsafe; returns skipped names.

    Raises SubmissionError for a file that is not a zip, too many members or too many
    bytes. Members with absolute paths, ``..`` parts or symlink modes are skipped (and
    named in the returned list), never written.
    """
    dest = dest.resolve()
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionError(f"{zip_path.name} is not a readable zip file ({exc})") from None
    skipped: list[str] = []
    with zf:
        members = zf.infolist()
        if len(members) > max_files:
            raise SubmissionError(f"the zip has {len(members)} entries; the limit is {max_files}")
        total = 0
        for info in members:
            name = info.filename.replace("\\", "/")
            mode = info.external_attr >> 16
            parts = PurePosixPath(name).parts
            if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]) or stat.S_ISLNK(mode):
                skipped.append(name)
                continue
            target = (dest / name).resolve()
            if not target.is_relative_to(dest):
                skipped.append(name)
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            # Follow no symlink a previous member might have left: refuse existing links.
            if target.is_symlink() or any(p.is_symlink() for p in target.parents if p.is_relative_to(dest)):
                skipped.append(name)
                continue
            with zf.open(info) as src, open(target, "wb") as out:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > max_bytes:
                        raise SubmissionError(f"the zip unpacks to more than {max_bytes // 2**20} MB; the limit")
                    out.write(chunk)
    return skipped


def _walk(root: Path, max_files: int) -> list[Path]:
    """Regular files under ``root``, without following symlinks or entering ignored dirs."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS and not d.startswith("."))
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            if not p.is_symlink() and p.is_file():
                found.append(p)
            if len(found) > max_files:
                raise SubmissionError(f"the submission has more than {max_files} files; the limit")
    return found


def collect(manifest: Manifest, submission: Path, workdir: Path) -> Submission:
    """Find each manifest file in a zip or folder ``submission``; ``workdir`` is scratch."""
    submission = Path(submission)
    if not submission.exists():
        raise SubmissionError(f"{submission} does not exist")
    root = submission
    result = Submission()
    if submission.is_file():
        root = workdir / "unzipped"
        root.mkdir(parents=True, exist_ok=True)
        skipped = safe_extract(submission, root, manifest.max_zip_files, manifest.max_zip_mb * 5 * 2**20)
        if skipped:
            result.notes.append(f"ignored unsafe zip entries: {', '.join(skipped[:5])}")
    files = _walk(root, manifest.max_zip_files)
    for wanted in manifest.files:
        want = PurePosixPath(wanted)
        candidates = [p for p in files if p.name == want.name]
        if not candidates:
            result.missing.append(wanted)
            continue

        def rank(p: Path, want: PurePosixPath = want) -> tuple[int, int, str]:
            rel = PurePosixPath(p.relative_to(root).as_posix())
            suffix = sum(1 for a, b in zip(reversed(rel.parts), reversed(want.parts), strict=False) if a == b)
            return (-suffix, len(rel.parts), str(rel))

        candidates.sort(key=rank)
        chosen = candidates[0]
        if len(candidates) > 1:
            others = ", ".join(p.relative_to(root).as_posix() for p in candidates[1:3])
            result.notes.append(f"{want.name}: used {chosen.relative_to(root).as_posix()} (also found {others})")
        size, limit = chosen.stat().st_size, manifest.limit_bytes(wanted)
        if size > limit:
            result.missing.append(wanted)
            result.notes.append(f"{want.name} is {size // 1024} KB; the limit is {limit // 1024} KB")
            continue
        data = chosen.read_bytes()
        try:
            if wanted.endswith(".py"):
                data.decode("utf-8")
        except UnicodeDecodeError:
            result.missing.append(wanted)
            result.notes.append(f"{want.name} is not UTF-8 text")
            continue
        result.files[wanted] = data
    return result
