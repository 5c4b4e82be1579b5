"""The TA's tools: batch (every input a row, identities, resume, parallel, summary), grade's
exit status, the case list and the student's-eye preview of a results file."""

import csv
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import batch as batch_mod
from grader.batch import list_entries, read_metadata, run_batch
from grader.check import reference_files, stub_files
from grader.manifest import load_manifest
from grader.preview import preview

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"
REPO = Path(__file__).resolve().parents[2]

METADATA = """\
submission_101:
  :submitters:
  - :name: Ana Müller
    :sid: '00123'
    :email: ana@example.edu
  :created_at: 2026-01-01 10:00:00.000000000 -08:00
  :score: 0.0
submission_102:
  :submitters:
  - :name: Bo Li
    :sid: '00124'
    :email: bo@example.edu
  - :name: Cy Ng
    :sid: '00125'
    :email: cy@example.edu
submission_103:
  :submitters:
  - :name: Di Ode
    :sid: '00126'
    :email: di@example.edu
"""


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """Gradescope's export layout: folders submission_N and submission_metadata.yml; 103 is missing."""
    manifest = load_manifest(TOY)
    folder = tmp_path / "export"
    _write(folder / "submission_101", reference_files(manifest))
    _write(folder / "submission_102", stub_files(manifest))
    (folder / "submission_metadata.yml").write_text(METADATA, encoding="utf-8")
    return folder


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A TA's own folder: a zip, a broken zip, a stray file."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    with zipfile.ZipFile(folder / "alice.zip", "w") as zf:
        for rel, data in reference_files(load_manifest(TOY)).items():
            zf.writestr(rel, data)
    (folder / "bob.zip").write_bytes(b"this is not a zip")
    (folder / "notes.txt").write_text("not a submission")
    return folder


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_input_gets_a_row_with_its_status_and_reason(mixed, tmp_path, strict):
    """Does a file batch cannot grade get a row saying why, next to the graded ones?"""
    run_batch(load_manifest(TOY), mixed, tmp_path / "g.csv", progress=False)
    rows = {r["submission"]: r for r in _rows(tmp_path / "g.csv")}
    assert set(rows) == {"alice.zip", "bob.zip", "notes.txt"}
    assert rows["alice.zip"]["status"] == "graded" and rows["alice.zip"]["score"] == "6"
    assert rows["bob.zip"]["status"] == "refused" and "not a readable zip" in rows["bob.zip"]["message"]
    assert rows["notes.txt"]["status"] == "refused" and "not a zip file or a folder" in rows["notes.txt"]["message"]


def test_gradescope_export_gives_identity_columns(export, tmp_path, strict):
    """Are name, sid and email read from submission_metadata.yml (group members joined), and a
    listed submission missing from the folder still a row?"""
    run_batch(load_manifest(TOY), export, tmp_path / "g.csv", progress=False)
    rows = {r["submission"]: r for r in _rows(tmp_path / "g.csv")}
    assert (rows["submission_101"]["name"], rows["submission_101"]["sid"]) == ("Ana Müller", "00123")
    assert rows["submission_102"]["email"] == "bo@example.edu; cy@example.edu"
    assert rows["submission_103"]["status"] == "refused" and "not in the folder" in rows["submission_103"]["message"]


def test_csv_imports_without_editing(export, tmp_path, strict):
    """One header row naming each case with its maximum, numbers that parse, one line per row?"""
    run_batch(load_manifest(TOY), export, tmp_path / "g.csv", progress=False)
    text = (tmp_path / "g.csv").read_text(encoding="utf-8")
    header = text.splitlines()[0].split(",")
    assert header[:5] == ["name", "sid", "email", "submission", "status"]
    assert "add_small (max 1)" in header and "scale_values (max 2)" in header and header[-1] == "message"
    assert len(text.splitlines()) == 4  # header + 3 rows: no message spans lines
    for row in _rows(tmp_path / "g.csv"):
        float(row["score"]), float(row["max_score"])


def test_batch_resumes_and_regrades_one_student_on_request(export, tmp_path, strict, monkeypatch):
    """Does a second run grade nothing again, and --regrade SID only that student's submission?"""
    manifest = load_manifest(TOY)
    run_batch(manifest, export, tmp_path / "g.csv", progress=False)
    graded: list[str] = []
    real = batch_mod._grade_one
    monkeypatch.setattr(batch_mod, "_grade_one", lambda *a: graded.append(Path(a[1]).name) or real(*a))
    run_batch(manifest, export, tmp_path / "g.csv", progress=False)
    assert graded == []
    run_batch(manifest, export, tmp_path / "g.csv", regrade=("00124",), progress=False)
    assert graded == ["submission_102"]
    assert len(_rows(tmp_path / "g.csv")) == 3


def test_parallel_batch_gives_the_same_grades(mixed, tmp_path, strict):
    """Do two jobs (two sandbox slots) give the same rows as one, apart from the seconds?"""
    manifest = load_manifest(TOY)
    one = run_batch(manifest, mixed, tmp_path / "one.csv", jobs=1, progress=False)
    two = run_batch(manifest, mixed, tmp_path / "two.csv", jobs=2, progress=False)
    assert [(r.entry.name, r.status, r.score) for r in one] == [(r.entry.name, r.status, r.score) for r in two]


def test_summary_has_mean_median_histogram_and_pass_rates(export, tmp_path, strict):
    """Is the summary written as text (mean, median, histogram, per-case pass rate) and as a PNG?"""
    run_batch(load_manifest(TOY), export, tmp_path / "g.csv", progress=False)
    text = (tmp_path / "g_summary.txt").read_text(encoding="utf-8")
    assert "mean 3.00, median 3" in text  # the reference's 6 and the stubs' 0
    assert "histogram:" in text and "  50.0%  add_small (1 points)" in text
    assert (tmp_path / "g_summary.png").read_bytes()[:4] == b"\x89PNG"


def test_metadata_keys_with_or_without_colons():
    """Are Gradescope's Ruby-symbol keys (:name:) and plain keys (name:) both read?"""
    import yaml

    plain = yaml.safe_load("s1:\n  submitters:\n  - name: A\n    sid: 7\n    email: a@x\n")
    symbol = yaml.safe_load(METADATA)
    assert batch_mod._key(plain["s1"], "submitters")[0]["sid"] == 7
    assert batch_mod._key(symbol["submission_101"], "submitters")[0][":name"] == "Ana Müller"


def test_unreadable_metadata_is_an_error(tmp_path):
    """Is a submission_metadata.yml that is not YAML an error naming the file, not silence?"""
    (tmp_path / "submission_metadata.yml").write_text("a: [unclosed")
    with pytest.raises(ValueError, match=r"submission_metadata\.yml"):
        read_metadata(tmp_path)


def test_list_entries_skips_hidden_files_and_the_metadata(export):
    """Are dotfiles and submission_metadata.yml left out of the rows?"""
    (export / ".DS_Store").write_text("x")
    assert [e.name for e in list_entries(export)] == ["submission_101", "submission_102", "submission_103"]


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_grade_exits_non_zero_on_an_unreadable_submission(tmp_path, strict):
    """Does `grade` exit non-zero (and still write results) when the zip cannot be read?"""
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"garbage")
    proc = _cli("grade", str(TOY), str(bad), "--results", str(tmp_path / "r.json"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert json.loads((tmp_path / "r.json").read_text())["score"] == 0


def test_cases_lists_kind_points_limit_and_title():
    """Does `cases` list every case with public/hidden, points, time limit and title?"""
    proc = _cli("cases", str(TOY))
    assert proc.returncode == 0, proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith("scale_values"))
    assert line.split()[:4] == ["scale_values", "hidden", "2", "4.5s"]
    assert line.endswith("scale: values, input unchanged")
    assert "add_small" in proc.stdout and "public" in proc.stdout


def _doc() -> dict:
    tests = [
        {
            "name": "pub",
            "number": "1",
            "score": 1,
            "max_score": 1,
            "status": "passed",
            "output": "ok",
            "visibility": "visible",
        },
        {
            "name": "hid",
            "number": "2",
            "score": 0,
            "max_score": 2,
            "status": "failed",
            "output": "off by 10x",
            "visibility": "after_published",
        },
        {
            "name": "never",
            "number": "3",
            "score": 0,
            "max_score": 1,
            "status": "failed",
            "output": "x",
            "visibility": "hidden",
        },
    ]
    return {"score": 1, "output": "Assignment", "visibility": "visible", "tests": tests}


def test_preview_shows_visible_tests_now_and_after_published_ones_later():
    """Before publication, only visible tests (no total); after it, after_published ones too?"""
    before = preview(_doc(), published="no")
    after = preview(_doc(), published="yes")
    assert "1 pub" in before and "2 hid" not in before and "total score: not shown" in before
    assert "2 hid" in after and "off by 10x" in after
    assert "3 never" not in after  # hidden is never shown


def test_preview_command_reads_a_results_file(tmp_path):
    """Does `preview results.json` print the phases from a file?"""
    path = tmp_path / "results.json"
    path.write_text(json.dumps(_doc()))
    proc = _cli("preview", str(path))
    assert proc.returncode == 0 and "=== after the grades are published ===" in proc.stdout
