"""A submission is read as students zip it: the manifest's files, wherever they sit."""

import csv
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import gradescope
from grader.check import reference_files
from grader.manifest import load_manifest
from grader.submission import SubmissionError, collect, safe_extract

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"
ROOT = Path(__file__).resolve().parents[2]


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("prefix", ["", "toy_pkg/", "my-hw1/toy/toy_pkg/", "Archive/"])
def test_files_are_found_wherever_they_sit(tmp_path, prefix):
    """Parent folder zipped, files alone, or deep inside: is ops.py found?"""
    z = make_zip(
        tmp_path / "s.zip",
        {
            f"{prefix}ops.py": b"x = 1\n",
            "__MACOSX/ops.py": b"junk",
            "notes.ipynb": b"{}",
            "conftest.py": b"raise SystemExit",
        },
    )
    sub = collect(load_manifest(TOY), z, tmp_path / "work")
    assert sub.files == {"toy_pkg/ops.py": b"x = 1\n"} and sub.missing == []


def test_the_copy_in_the_right_folder_wins(tmp_path):
    """With two ops.py, is the one at toy_pkg/ops.py taken, and the choice noted?"""
    z = make_zip(tmp_path / "s.zip", {"old/ops.py": b"old = 1\n", "hw/toy_pkg/ops.py": b"new = 1\n"})
    sub = collect(load_manifest(TOY), z, tmp_path / "work")
    assert sub.files["toy_pkg/ops.py"] == b"new = 1\n"
    assert any("also found" in n for n in sub.notes)


def test_missing_file_is_listed(tmp_path):
    """Is a zip without ops.py reported as missing rather than crashing?"""
    sub = collect(load_manifest(TOY), make_zip(tmp_path / "s.zip", {"readme.txt": b"hi"}), tmp_path / "w")
    assert sub.missing == ["toy_pkg/ops.py"]


def test_not_a_zip_is_a_clear_error(tmp_path):
    """Does a corrupt upload give a message, not a traceback?"""
    bad = tmp_path / "s.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        collect(load_manifest(TOY), bad, tmp_path / "w")


def test_safe_extract_limits_bytes_however_headers_lie(tmp_path):
    """Is the uncompressed-size limit enforced on the bytes actually read?"""
    z = make_zip(tmp_path / "big.zip", {"a.txt": b"0" * 3_000_000})
    with pytest.raises(SubmissionError, match="limit"):
        safe_extract(z, tmp_path / "out", max_files=10, max_bytes=1_000_000)


def test_batch_writes_one_row_per_submission(tmp_path):
    """Does batch grade a folder to a CSV with per-case columns and per-submission results?"""
    subs = tmp_path / "subs"
    subs.mkdir()
    ref = reference_files(load_manifest(TOY))["toy_pkg/ops.py"]
    make_zip(subs / "alice.zip", {"ops.py": ref})
    make_zip(subs / "bob.zip", {"ops.py": b"def add(a, b):\n    return a + b\n"})
    out = tmp_path / "grades.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "batch", str(TOY), str(subs), "--csv", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(out.open()))
    scores = {r["submission"]: float(r["score"]) for r in rows}
    assert scores == {"alice.zip": 6.0, "bob.zip": 3.0}
    assert float(rows[1]["scale_values (max 2)"]) == 0.0 and float(rows[1]["add_small (max 1)"]) == 1.0
    for name in ("alice", "bob"):
        gradescope.validate(__import__("json").loads((tmp_path / "grades_results" / f"{name}.json").read_text()))


def test_submit_zips_manifest_files_and_refuses_syntax_errors(tmp_path):
    """Does `submit` zip exactly the manifest's files, and refuse a file that does not compile?"""
    work = tmp_path / "toy"
    shutil.copytree(TOY, work)
    cmd = [sys.executable, "-m", "grader", "submit", str(work), "--out", str(tmp_path / "sub.zip")]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert zipfile.ZipFile(tmp_path / "sub.zip").namelist() == ["toy_pkg/ops.py"]
    (work / "toy_pkg" / "ops.py").write_text("def add(a, b)\n    return a\n")
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 1 and "syntax error" in proc.stdout


def _odd_zip(path: Path, kind: str, honest: bytes) -> tuple[Path, str]:
    """A zip with the honest toy_pkg/ops.py and one odd entry; returns it and the odd entry's name."""
    odd = {"long_name": "notes/" + "n" * 300 + ".txt", "clash": "clash/inner.txt"}.get(kind, "extra.txt")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("toy_pkg/ops.py", honest)
        if kind == "clash":
            zf.writestr("clash", b"a file where a folder is needed")
        zf.writestr(odd, b"odd entry contents\n")
        if kind == "bad_utf8":
            info = zipfile.ZipInfo("placeholder.txt")
            zf.writestr(info, b"x")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(odd)
    local = info.header_offset
    central = data.find(b"PK\x01\x02" + data[4:6])  # the odd entry's record in the central directory
    while data[central + 46 : central + 46 + len(odd)] != odd.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    if kind == "bad_crc":
        data[local + 30 + len(odd)] ^= 0xFF  # first byte of the stored data
    elif kind == "method":
        data[local + 8 : local + 10] = (99).to_bytes(2, "little")
        data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    elif kind == "encrypted":
        data[local + 6] |= 1
        data[central + 8] |= 1
    elif kind == "bad_utf8":
        entry = data.rfind(b"PK\x01\x02")  # placeholder.txt: renamed to bytes that are not UTF-8, flagged UTF-8
        data[entry + 8 : entry + 10] = (int.from_bytes(data[entry + 8 : entry + 10], "little") | 0x800).to_bytes(
            2, "little"
        )
        data[entry + 46 : entry + 46 + len("placeholder.txt")] = b"\xff\xfe\xfdceholder.txt"
        odd = "ceholder.txt"
    path.write_bytes(bytes(data))
    return path, odd


@pytest.mark.parametrize("kind", ["long_name", "clash", "bad_crc", "method", "encrypted", "bad_utf8"])
def test_odd_zip_entries_are_named_and_the_rest_graded(tmp_path, kind, strict):
    """A name too long for the disk, a file where a folder is, a bad CRC, an unknown compression method, an
    encryption flag, a name that is not UTF-8: is the entry named with the reason, and the honest file graded?"""
    from grader.grade import grade

    manifest = load_manifest(TOY)
    honest = reference_files(manifest)["toy_pkg/ops.py"]
    z, odd = _odd_zip(tmp_path / "odd.zip", kind, honest)
    graded = grade(manifest, z)
    doc = graded.results
    gradescope.validate(doc)
    assert "internal error" not in doc["output"], doc["output"]
    assert graded.score == 6.0, doc["output"]
    assert "ignored zip entries" in doc["output"] and odd[:20] in doc["output"], doc["output"]


def test_an_unreadable_manifest_file_is_missing_with_its_reason(tmp_path, strict):
    """When ops.py itself is damaged in the zip (bad CRC), does the student read that, not 'internal error'?"""
    from grader.grade import grade

    manifest = load_manifest(TOY)
    z = tmp_path / "s.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("toy_pkg/ops.py", reference_files(manifest)["toy_pkg/ops.py"])
    data = bytearray(z.read_bytes())
    data[30 + len("toy_pkg/ops.py")] ^= 0xFF
    z.write_bytes(bytes(data))
    doc = grade(manifest, z).results
    assert doc["score"] == 0 and "damaged in the zip" in doc["output"] and "ops.py" in doc["output"]
    assert "Missing from your submission" in doc["output"] and "internal error" not in doc["output"]
