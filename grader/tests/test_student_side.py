"""What a student sees of the public tests: `make test` (time limits, messages, the points
summary) and `make submit`, on the toy assignment's handout."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import oracle
from grader.casefiles import load_cases
from grader.check import reference_files
from grader.grade import case_time_limits
from grader.handout import release
from grader.manifest import load_manifest

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"
STUB = 'raise NotImplementedError("add: not implemented yet (see the README)")'


def run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "GRADER_TIME_SCALE")}
    return subprocess.run([sys.executable, *args], cwd=folder, env=env, capture_output=True, text=True, timeout=120)


def pytest_in(folder: Path) -> subprocess.CompletedProcess:
    return run(folder, "-m", "pytest", "-q", "-p", "no:cacheprovider")  # -q twice with pytest.ini's, as make test


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    return release(TOY, tmp_path_factory.mktemp("h") / "toy")


@pytest.fixture
def student(handout, tmp_path):
    """A copy of the handout to fill in: ``student(add=BODY)`` replaces add's stub by BODY."""
    work = tmp_path / "student"
    shutil.copytree(handout, work)

    def fill(body: str) -> Path:
        ops = work / "toy_pkg" / "ops.py"
        ops.write_text(ops.read_text().replace(STUB, body))
        return work

    return fill


def test_handout_bakes_the_graders_time_limit_of_each_public_case(handout):
    """Does tests/expected/limits.json hold the grader's own limit for every public case?"""
    manifest = load_manifest(TOY)
    cases = load_cases(manifest)
    graded = case_time_limits(manifest, cases, oracle.metadata(oracle.cached(manifest)))
    baked = json.loads((handout / "tests" / "expected" / "limits.json").read_text())
    assert baked["seconds"] == {c.name: round(graded[c.name], 3) for c, public in cases if public}


def test_a_case_past_its_limit_is_stopped_and_named(student):
    """Does an endless loop fail its case at the baked limit, naming the case, instead of hanging?"""
    work = student("while True:\n        pass")
    limits = work / "tests" / "expected" / "limits.json"
    limits.write_text(json.dumps({"preload": [], "seconds": {"add_small": 1.0}}))
    proc = pytest_in(work)
    assert proc.returncode == 1
    assert "case add_small ran past its time limit of 1 s" in proc.stdout, proc.stdout
    assert "at toy_pkg/ops.py:" in proc.stdout  # where it was stopped


def test_time_scale_is_read_as_a_factor_and_checked(monkeypatch):
    """Is GRADER_TIME_SCALE read as the factor on every limit, and a bad value an error naming it?"""
    from grader.public import time_scale

    monkeypatch.setenv("GRADER_TIME_SCALE", "3")
    assert time_scale() == 3.0
    monkeypatch.setenv("GRADER_TIME_SCALE", "fast")
    with pytest.raises(ValueError, match="GRADER_TIME_SCALE"):
        time_scale()


def test_stub_message_is_printed_once(handout):
    """Is a stub's NotImplementedError shown once, without a chained second exception?"""
    proc = pytest_in(handout)
    # pytest's own short summary repeats failure messages (in full when CI is set): count the report.
    report = proc.stdout.split("short test summary info")[0]
    assert report.count("add: not implemented yet (see the README)") == 1, proc.stdout
    assert "During handling of the above exception" not in proc.stdout


def test_error_message_comes_first_and_names_the_line(student):
    """Does an exception in student code show its type and message right under the title, then
    the student's line, and no dump of the test's arrays?"""
    work = student('raise ValueError("a and b must have the same shape")')
    proc = pytest_in(work)
    lines = proc.stdout.splitlines()
    title = lines.index("add: two (3, 4) arrays")
    assert lines[title + 1].strip() == "ValueError: a and b must have the same shape"
    assert lines[title + 2].strip().startswith("at toy_pkg/ops.py:")
    assert "array(" not in proc.stdout and "grader/public.py" not in proc.stdout


def test_summary_ends_the_output_with_cases_and_points(handout, student):
    """Does the output end with the cases passed and public points, in all and per file?"""
    stubs = pytest_in(handout).stdout.strip().splitlines()
    assert stubs[-2].endswith(": 0 of 1 cases pass, 0 of 1 public points"), stubs[-3:]
    assert stubs[-1].split() == ["toy_pkg/ops.py", "0", "of", "1", "cases", "pass,", "0", "of", "1", "public", "points"]
    filled = pytest_in(student("return a + b")).stdout.strip().splitlines()
    assert filled[-1].split()[:2] == ["toy_pkg/ops.py", "1"], filled[-3:]


def test_submit_runs_the_public_tests_and_names_the_stubs(handout, tmp_path):
    """Does `submit` print the public points first and name each function still a stub?"""
    work = tmp_path / "s"
    shutil.copytree(handout, work)
    proc = run(work, "-m", "grader", "submit", ".", "--out", str(tmp_path / "s.zip"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.index("0 of 1 cases pass") < out.index("still raise NotImplementedError: add, scale, row_sums")


def test_handout_gitignore_keeps_out_what_students_make(handout):
    """Does the handout ignore the venv, training runs and the submission zip?"""
    ignored = (handout / ".gitignore").read_text().split()
    assert {".venv/", "venv/", "runs/", "submission.zip"} <= set(ignored)


@pytest.mark.parametrize("assignment", ["assignment1", "assignment2", "assignment4"])
def test_every_assignment_has_the_gitignore_and_the_summary_hook(assignment):
    """Does every assignment's handout get a .gitignore and the public-points summary hook?"""
    root = Path(__file__).resolve().parents[2] / assignment
    assert {".venv/", "runs/", "submission.zip"} <= set((root / ".gitignore").read_text().split())
    assert "pytest_terminal_summary" in (root / "tests" / "conftest.py").read_text()


def test_reference_filled_handout_passes(handout, tmp_path):
    """With the reference filled in, do the public tests pass under their baked limits?"""
    work = tmp_path / "ref"
    shutil.copytree(handout, work)
    for rel, data in reference_files(load_manifest(TOY)).items():
        (work / rel).write_bytes(data)
    assert pytest_in(work).returncode == 0


def test_summary_attributes_a_case_to_the_module_it_imports():
    """Is a case counted under the module it imports, also written ``from pkg import mod``?"""
    from grader.cases import Case
    from grader.public import tested_file

    def run_from_package(x):
        from json import decoder

        return {"out": decoder}

    def run_dotted(x):
        from json.decoder import JSONDecoder

        return {"out": JSONDecoder}

    assert tested_file(Case("a", "a", run_from_package)) == "json/decoder.py"
    assert tested_file(Case("b", "b", run_dotted)) == "json/decoder.py"


def test_make_test_and_make_submit_work_with_the_reduced_grader(handout, tmp_path):
    """With an assignment's own Makefile in the toy handout (whose grader/ holds only the student side), does
    `make test` run the public tests to the points summary, and `make submit` write the zip?"""
    work = tmp_path / "made"
    shutil.copytree(handout, work)
    shutil.copyfile(Path(__file__).resolve().parents[2] / "assignment1" / "Makefile", work / "Makefile")
    for rel, data in reference_files(load_manifest(TOY)).items():
        (work / rel).write_bytes(data)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS", "MAKEFLAGS")}
    make = ["make", "--no-print-directory", f"PYTHON={sys.executable}"]
    test = subprocess.run([*make, "test"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert test.returncode == 0, test.stdout[-2000:] + test.stderr[-2000:]
    assert "1 of 1 cases pass, 1 of 1 public points" in test.stdout
    submit = subprocess.run([*make, "submit"], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert submit.returncode == 0, submit.stdout[-2000:] + submit.stderr[-2000:]
    with zipfile.ZipFile(work / "submission.zip") as zf:
        assert zf.namelist() == ["toy_pkg/ops.py"]
