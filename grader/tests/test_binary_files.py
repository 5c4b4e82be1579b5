"""Submission files that are not source (a trained checkpoint): graded, limited, never shipped."""

import io
import zipfile
from pathlib import Path

import numpy as np

from grader.autograder import build as build_autograder
from grader.check import reference_files, run_check
from grader.grade import grade
from grader.handout import release
from grader.manifest import load_manifest

TOYBIN = Path(__file__).resolve().parent / "fixtures" / "toybin"


def test_reference_with_its_weight_file_scores_full_and_without_it_zero():
    """Is the weight file used, and its absence reported by name?"""
    manifest = load_manifest(TOYBIN)
    files = reference_files(manifest)
    assert set(files) == {"toybin_pkg/scaler.py", "toybin_pkg/weights.npy"}
    assert grade(manifest, None, student_files=files).score == 2
    del files["toybin_pkg/weights.npy"]
    graded = grade(manifest, None, student_files=files)
    assert graded.score == 0 and "toybin_pkg/weights.npy" in graded.results["output"]


def test_wrong_weights_lose_the_points():
    """Do other weights, submitted as a file, change the outputs and score nothing?"""
    manifest = load_manifest(TOYBIN)
    files = reference_files(manifest)
    buf = io.BytesIO()
    np.save(buf, np.array([2.0, 3.5]))
    files["toybin_pkg/weights.npy"] = buf.getvalue()
    assert grade(manifest, None, student_files=files).score == 0


def test_oversized_binary_file_is_refused(tmp_path):
    """Is a weight file over max_binary_mb refused with a note, not loaded?"""
    manifest = load_manifest(TOYBIN)
    z = tmp_path / "s.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("scaler.py", reference_files(manifest)["toybin_pkg/scaler.py"])
        zf.writestr("weights.npy", b"\0" * (2 * 2**20))
    graded = grade(manifest, z)
    assert graded.score == 0 and "the limit is 1024 KB" in graded.results["output"]


def test_reference_weight_file_never_ships(tmp_path):
    """Are the course's trained weights kept out of the handout and the autograder zip?"""
    handout = release(TOYBIN, tmp_path / "h")
    assert (handout / "toybin_pkg" / "scaler.py").exists() and not (handout / "toybin_pkg" / "weights.npy").exists()
    with zipfile.ZipFile(build_autograder(TOYBIN, tmp_path / "ag.zip")) as zf:
        assert not [n for n in zf.namelist() if n.endswith("weights.npy")]


def test_check_passes_with_a_binary_file():
    """Does check give the reference full marks and the stubs (no weight file) zero?"""
    report = run_check(load_manifest(TOYBIN), workers=1, progress=False)
    assert report.ok and report.stubs.score == 0 and report.reference.score == 2


def test_submit_without_the_weight_file_warns_and_zips_the_rest(tmp_path):
    """A student who has not trained yet can still hand in code: the missing weight file is a
    warning (its tests score 0), while a missing source file stays an error."""
    import shutil
    import subprocess
    import sys

    work = tmp_path / "toybin"
    shutil.copytree(TOYBIN, work)
    (work / "toybin_pkg" / "weights.npy").unlink()
    cmd = [sys.executable, "-m", "grader", "submit", str(work), "--out", str(tmp_path / "sub.zip")]
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout
    assert "warning: toybin_pkg/weights.npy: missing" in proc.stdout
    assert zipfile.ZipFile(tmp_path / "sub.zip").namelist() == ["toybin_pkg/scaler.py"]
    (work / "toybin_pkg" / "scaler.py").unlink()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    assert proc.returncode != 0 and "toybin_pkg/scaler.py' does not exist" in proc.stderr
