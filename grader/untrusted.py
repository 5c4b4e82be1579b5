"""Read what the sandboxed child wrote, with bounds, before anything is parsed.

Everything here runs in the trusted process on files the student's code could have written
or replaced. Each read is bounded before it costs anything: the file's bytes (a regular
file owned by the sandbox user, no symlinks), the zip's central directory and member count
(from the end record, before ``zipfile`` parses a single entry), the bytes each member
inflates to, the ``.npy`` header, and the JSON's nesting. Only the keys the caller expects
are read. Any violation raises ``OutputError`` with a message for the student, which costs
only the case it belongs to.
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import zipfile
from collections.abc import Collection
from pathlib import Path

import numpy as np

from grader.cases import KEY_RE, MAX_MESSAGE, Arrays

MAX_STATUS_BYTES = 64 * 1024
MAX_NPY_HEADER = 4096
_EOCD = b"PK\x05\x06"
_EOCD64 = b"PK\x06\x06"


class OutputError(ValueError):
    """What the child wrote cannot be used; the message says why, for the student."""


def read_file(path: Path, limit: int, owner: int | None) -> bytes | None:
    """The bytes of a file the child wrote, or None when it is missing, not a regular file
    (a symlink, a FIFO), owned by someone else, or larger than ``limit``."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit or (owner is not None and st.st_uid != owner):
            return None
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        return None if len(data) > limit else data
    finally:
        os.close(fd)


def zip_directory(data: bytes) -> tuple[int, int]:
    """(entries, central directory bytes) from a zip's end record, parsing nothing else."""
    i = data.rfind(_EOCD, max(0, len(data) - (22 + 65535)))
    if i < 0 or len(data) < i + 22:
        raise OutputError("the outputs file is not a zip archive (.npz)")
    entries = int.from_bytes(data[i + 10 : i + 12], "little")
    size = int.from_bytes(data[i + 12 : i + 16], "little")
    if entries == 0xFFFF or size == 0xFFFFFFFF:  # zip64: the real numbers are in the zip64 end record
        j = data.rfind(_EOCD64, 0, i)
        if j < 0 or len(data) < j + 56:
            raise OutputError("the outputs file has a damaged zip64 end record")
        entries = int.from_bytes(data[j + 32 : j + 40], "little")
        size = int.from_bytes(data[j + 40 : j + 48], "little")
    return entries, size


def _parse_npy(raw: bytes, key: str) -> np.ndarray:
    """One ``.npy`` member as a plain numeric array; the header is read with a size cap."""
    fh = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh, max_header_size=MAX_NPY_HEADER)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh, max_header_size=MAX_NPY_HEADER)
        else:
            raise ValueError(f"unknown .npy version {version}")
    except Exception as exc:  # a damaged or hostile header: RecursionError, SyntaxError, ValueError...
        raise OutputError(f"output {key!r}: not a readable .npy array ({type(exc).__name__})") from None
    if dtype.hasobject or dtype.kind not in "biufc" or dtype.shape or dtype.names:
        raise OutputError(f"output {key!r} has dtype {dtype}; only plain numbers are accepted")
    if not all(isinstance(n, int) and n >= 0 for n in shape) or len(shape) > 32:
        raise OutputError(f"output {key!r}: bad shape in its header")
    count = math.prod(shape)
    offset = fh.tell()
    if count * dtype.itemsize != len(raw) - offset:
        raise OutputError(f"output {key!r}: its data does not match its header (shape {tuple(shape)}, {dtype})")
    arr = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return arr.reshape(shape, order="F" if fortran else "C")


def load_outputs(data: bytes, keys: Collection[str] | None, max_bytes: int, max_members: int = 64) -> Arrays:
    """Parse an ``.npz`` the child wrote into plain numeric arrays, never unpickling.

    Args:
        data: the file's bytes (already capped by ``read_file``).
        keys: the output names to read (the reference's); None reads every member (the
            oracle, whose code is trusted). Other members are never inflated.
        max_bytes: the most bytes all members read may inflate to, together.
        max_members: the most entries the archive may list.
    """
    entries, directory = zip_directory(data)
    if entries > max_members or directory > max_members * 512 + 4096:
        raise OutputError(f"the outputs file lists {entries} entries; at most {max_members} are allowed")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError, UnicodeDecodeError) as exc:
        raise OutputError(f"the outputs file is not a readable .npz ({type(exc).__name__})") from None
    out: Arrays = {}
    used = 0
    with zf:
        members = {info.filename: info for info in zf.infolist()}
        if len(members) > max_members:
            raise OutputError(f"the outputs file lists {len(members)} entries; at most {max_members} are allowed")
        names = list(keys) if keys is not None else [n[: -len(".npy")] for n in members if n.endswith(".npy")]
        for key in names:
            if not KEY_RE.fullmatch(key):
                raise OutputError(f"bad output name {key[:80]!r}")
            info = members.get(f"{key}.npy")
            if info is None:
                continue  # the comparison names missing outputs
            budget = max_bytes - used
            try:
                with zf.open(info) as fh:
                    raw = fh.read(budget + 1)
            except Exception as exc:  # bad CRC, unsupported method, encryption...
                raise OutputError(f"output {key!r} could not be read ({type(exc).__name__})") from None
            if len(raw) > budget:
                raise OutputError(f"the outputs are larger than allowed ({max_bytes // 2**20} MB in all)")
            used += len(raw)
            out[key] = _parse_npy(raw, key)
    return out


def json_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON text, brackets inside strings skipped."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def parse_status(raw: bytes) -> dict[str, str]:
    """The child's status of one case: a flat JSON object of strings, nesting refused unparsed."""
    if json_depth(raw) > 1:
        raise OutputError("the status file is not what the grading process writes")
    try:
        status = json.loads(raw.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        raise OutputError("the status file is not valid JSON") from None
    if not isinstance(status, dict):
        raise OutputError("the status file is not a JSON object")
    return {k: v[:8000] if k == "traceback" else v[:MAX_MESSAGE] for k, v in status.items() if isinstance(v, str)}
