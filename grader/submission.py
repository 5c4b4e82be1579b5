"""Read a submission as a student uploads it: a zip or a folder, files anywhere inside.

Only the manifest's files are taken; everything else (a ``conftest.py``, a ``numpy/``
folder, notebooks, ``__MACOSX``) is ignored. Unzipping is safe: no member may escape the
target folder, symlinks are neither created nor followed, and file-count and size limits
hold however the zip's headers lie.
"""

from __future__ import annotations

import contextlib
import errno
import io
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
    zf = _open_zip(zip_path)
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
                skipped.append(f"{_shown(name)} (unsafe path or link)")
                continue
            try:
                target = (dest / name).resolve()
                if not target.is_relative_to(dest):
                    skipped.append(f"{_shown(name)} (unsafe path or link)")
                    continue
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                # Follow no symlink a previous member might have left: refuse existing links.
                if target.is_symlink() or any(p.is_symlink() for p in target.parents if p.is_relative_to(dest)):
                    skipped.append(f"{_shown(name)} (unsafe path or link)")
                    continue
                total += _extract_one(zf, info, target, max_bytes - total)
            except SubmissionError:
                raise
            except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError, UnicodeError, ValueError) as exc:
                # An odd entry (a name too long for the disk, a file where a folder is, a bad
                # CRC, an unsupported compression method, encryption): skipped, named, the rest graded.
                skipped.append(f"{_shown(name)} ({_why(exc)})")
                with contextlib.suppress(OSError, UnboundLocalError):
                    if target.is_file() and not target.is_symlink():
                        target.unlink()
    return skipped


def _shown(name: str) -> str:
    """A member's name as it can be printed: at most 120 characters, no control characters."""
    name = "".join(c if c.isprintable() else "?" for c in name)
    return name if len(name) <= 120 else name[:100] + "..." + name[-17:]


def _why(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "damaged in the zip: " + str(exc).split(" for file")[0]
    if isinstance(exc, NotImplementedError):
        return "compressed with a method the grader cannot read; use the ordinary zip (deflate)"
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "encrypted; zip it without a password"
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return "its name is too long"
    if isinstance(exc, FileExistsError | NotADirectoryError | IsADirectoryError):
        return "a file and a folder of the same name"
    if isinstance(exc, UnicodeError):
        return "its name is not valid UTF-8"
    return f"could not be unpacked ({type(exc).__name__})"


def _extract_one(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Write one member to ``target``; returns its bytes. Raises SubmissionError past ``budget``."""
    written = 0
    with zf.open(info) as src, open(target, "wb") as out:
        while True:
            chunk = src.read(1 << 20)
            if not chunk:
                break
            written += len(chunk)
            if written > budget:
                raise SubmissionError("the zip unpacks to more bytes than the limit allows")
            out.write(chunk)
    return written


def _open_zip(zip_path: Path) -> zipfile.ZipFile:
    """Open a student's zip. One whose directory has names flagged UTF-8 that are not is opened
    from a copy with that flag cleared on those names, so the other members can still be read."""
    try:
        return zipfile.ZipFile(zip_path)
    except UnicodeDecodeError:
        pass
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise SubmissionError(f"{zip_path.name} is not a readable zip file ({exc})") from None
    try:
        return zipfile.ZipFile(io.BytesIO(_clear_bad_utf8_flags(zip_path.read_bytes())))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{zip_path.name} is not a readable zip file ({exc})") from None


def _clear_bad_utf8_flags(data: bytes) -> bytes:
    """The zip's bytes with the UTF-8 flag (bit 11) cleared in each central-directory entry
    whose name is not UTF-8: zipfile then reads the name as cp437 and the entry alone fails."""
    buf = bytearray(data)
    end = data.rfind(b"PK\x05\x06")
    if end < 0:
        raise zipfile.BadZipFile("no end of central directory")
    size = int.from_bytes(data[end + 12 : end + 16], "little")
    pos = int.from_bytes(data[end + 16 : end + 20], "little")
    stop = min(pos + size, len(data))
    while pos + 46 <= stop and data[pos : pos + 4] == b"PK\x01\x02":
        flags = int.from_bytes(data[pos + 8 : pos + 10], "little")
        n, m, k = (int.from_bytes(data[pos + i : pos + i + 2], "little") for i in (28, 30, 32))
        if flags & 0x800:
            try:
                data[pos + 46 : pos + 46 + n].decode("utf-8")
            except UnicodeDecodeError:
                buf[pos + 8 : pos + 10] = (flags & ~0x800).to_bytes(2, "little")
        pos += 46 + n + m + k
    return bytes(buf)


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
            more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
            result.notes.append(f"ignored zip entries (the rest was graded): {'; '.join(skipped[:5])}{more}")
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
