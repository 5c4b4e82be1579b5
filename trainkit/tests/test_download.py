"""Downloads: mirrors in turn, checksums before anything is written, atomic files, clear errors."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from trainkit.download import DownloadError, download, md5_of

GOOD = b"the real bytes\n"
FILES = {"a.txt": hashlib.md5(GOOD).hexdigest()}


def test_falls_through_broken_and_wrong_mirrors(tmp_path):
    asked = []

    def fetch(url):
        asked.append(url)
        if url.startswith("https://down"):
            raise OSError("connection refused")
        if url.startswith("https://wrong"):
            return b"a changed file\n"
        return GOOD

    download(tmp_path, FILES, ["https://down/", "https://wrong", "https://good/x"], fetch=fetch, log=lambda s: None)
    assert (tmp_path / "a.txt").read_bytes() == GOOD
    assert asked == ["https://down/a.txt", "https://wrong/a.txt", "https://good/x/a.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_good_file_is_kept_and_a_bad_one_replaced(tmp_path):
    (tmp_path / "a.txt").write_bytes(GOOD)
    download(tmp_path, FILES, ["https://m/"], fetch=lambda url: pytest.fail("fetched"), log=lambda s: None)
    (tmp_path / "a.txt").write_bytes(b"half")
    download(tmp_path, FILES, ["https://m/"], fetch=lambda url: GOOD, log=lambda s: None)
    assert (tmp_path / "a.txt").read_bytes() == GOOD


def test_no_good_mirror_names_each_failure_and_writes_nothing(tmp_path):
    def fetch(url):
        if "one" in url:
            raise TimeoutError("timed out")
        return b"wrong"

    with pytest.raises(DownloadError) as info:
        download(tmp_path, FILES, ["https://one/", "https://two/"], fetch=fetch, log=lambda s: None)
    message = str(info.value)
    assert "could not download a.txt" in message
    assert "https://one/a.txt: TimeoutError: timed out" in message
    assert f"https://two/a.txt: md5 {hashlib.md5(b'wrong').hexdigest()}, expected {FILES['a.txt']}" in message
    assert list(tmp_path.iterdir()) == []


def test_gunzip_checks_the_content_not_the_gzip_header(tmp_path):
    one = gzip.compress(GOOD, mtime=1)
    two = gzip.compress(GOOD, mtime=2, compresslevel=1)
    assert one != two and md5_of(one, gunzip=True) == md5_of(two, gunzip=True)
    download(tmp_path, FILES | {}, ["https://m/"], gunzip=True, fetch=lambda url: two, log=lambda s: None)
    assert gzip.decompress((tmp_path / "a.txt").read_bytes()) == GOOD
    with pytest.raises(DownloadError, match="BadGzipFile"):
        download(tmp_path / "x", FILES, ["https://m/"], gunzip=True, fetch=lambda url: GOOD, log=lambda s: None)
