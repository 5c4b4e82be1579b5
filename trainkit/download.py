"""Downloads with checksums: every file from a list of mirrors, checked, written atomically.

``make data`` in each assignment calls :func:`download` with the data set's files, their md5
and its mirrors. A file already present with the right checksum is kept; otherwise each mirror
is tried in turn and the file is written only once its checksum matches, so a broken mirror or
an interrupted download never leaves a bad file behind. When no mirror gives a good copy the
error lists what went wrong on each.

The checksum is of the bytes as downloaded, or (``gunzip=True``) of the bytes inside a gzip
file: copies of the same data differ in their gzip headers (compression level, timestamps).
"""

from __future__ import annotations

import gzip
import hashlib
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from trainkit.files import atomic_write

__all__ = ["DownloadError", "download", "fetch_url", "md5_of"]

Fetch = Callable[[str], bytes]


class DownloadError(RuntimeError):
    """No mirror gave a copy with the right checksum; the message says what each one did."""


def fetch_url(url: str, timeout: float = 120.0) -> bytes:
    """The bytes at ``url`` (urllib, no retries: the next mirror is the retry)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def md5_of(data: bytes, gunzip: bool = False) -> str:
    """The md5 hex digest of ``data``, or of its gzip content with ``gunzip``."""
    return hashlib.md5(gzip.decompress(data) if gunzip else data).hexdigest()


def download(
    dest: str | Path,
    files: Mapping[str, str],
    mirrors: Sequence[str],
    *,
    gunzip: bool = False,
    fetch: Fetch = fetch_url,
    log: Callable[[str], None] = print,
) -> Path:
    """Download each ``name -> md5`` of ``files`` from ``mirror + name`` into ``dest``; returns ``dest``.

    Raises DownloadError naming the file and what each mirror gave.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if not mirrors:
        raise ValueError("download: no mirrors given")
    for name, md5 in files.items():
        target = dest / name
        if target.is_file():
            try:
                if md5_of(target.read_bytes(), gunzip) == md5:
                    log(f"{target}: present, checksum ok")
                    continue
            except (OSError, EOFError, gzip.BadGzipFile):
                pass
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                data = fetch(url)
                got = md5_of(data, gunzip)
            except Exception as exc:  # network errors, truncated or non-gzip answers
                errors.append(f"{url}: {type(exc).__name__}: {exc}")
                continue
            if got != md5:
                errors.append(f"{url}: md5 {got}, expected {md5}")
                continue
            atomic_write(target, lambda fh, data=data: fh.write(data))
            log(f"{target}: downloaded from {url}")
            break
        else:
            raise DownloadError(f"could not download {name}:\n  " + "\n  ".join(errors))
    return dest
