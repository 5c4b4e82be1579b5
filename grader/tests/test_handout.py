"""The handout and the autograder zip are build products, and are tested as such."""

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import gradescope
from grader.autograder import build as build_autograder
from grader.check import reference_files, stub_files
from grader.demo import run_zip
from grader.handout import release
from grader.manifest import load_manifest
from grader.markers import solution_lines

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def run_pytest(folder: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    return release(TOY, tmp_path_factory.mktemp("h") / "toy")


def test_handout_has_no_solution_line_and_no_hidden_material(handout):
    """Is every solution line, grading/ and every hidden case's expected value kept out?"""
    manifest = load_manifest(TOY)
    text = "\n".join(p.read_text(errors="replace") for p in handout.rglob("*") if p.is_file() and p.suffix != ".npz")
    for rel in manifest.files:
        for _, line in solution_lines((TOY / rel).read_text().splitlines(), rel):
            assert line.strip() not in text, line
    assert not (handout / "grading").exists()
    names = {p.name.split(".")[0] for p in (handout / "tests" / "expected").glob("*.npz")}
    assert names == {"add_small"}
    assert (handout / "grader" / "public.py").exists() and not (handout / "grader" / "tests").exists()


def test_handout_public_tests_fail_on_stubs_with_not_implemented(handout):
    """Do the handout's public tests fail with 'not implemented yet', not an import error?"""
    proc = run_pytest(handout)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not implemented yet" in proc.stdout
    assert "ImportError" not in proc.stdout and "ModuleNotFoundError" not in proc.stdout


def test_handout_public_tests_pass_with_the_reference(handout, tmp_path):
    """With the reference's code filled in, do the same public tests pass?"""
    import shutil

    work = tmp_path / "filled"
    shutil.copytree(handout, work)
    for rel, data in reference_files(load_manifest(TOY)).items():
        (work / rel).write_bytes(data)
    proc = run_pytest(work)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_release_is_deterministic(handout, tmp_path):
    """Does building the handout twice give the same bytes?"""
    again = release(TOY, tmp_path / "again")
    assert tree_digest(again) == tree_digest(handout)


def test_autograder_zip_is_deterministic_and_holds_no_solution(tmp_path):
    """Are two builds byte-identical, with hidden cases and expected outputs but no solution text?"""
    a = build_autograder(TOY, tmp_path / "a.zip")
    b = build_autograder(TOY, tmp_path / "b.zip")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        names = set(zf.namelist())
        assert {
            "setup.sh",
            "run_autograder",
            "requirements.txt",
            "grader/grade.py",
            "toy/grading/cases.py",
            "toy/expected/oracle.json",
            "toy/expected/scale_values.out.npz",
        } <= names
        ops = zf.read("toy/toy_pkg/ops.py").decode()
    assert "return a + b" not in ops and "not implemented yet" in ops


def test_autograder_zip_grades_like_gradescope(tmp_path):
    """Run as Gradescope does (AUTOGRADER_ROOT), does the zip give the reference full marks and stubs zero?"""
    manifest = load_manifest(TOY)
    zip_path = build_autograder(TOY, tmp_path / "ag.zip")
    ref = run_zip(zip_path, reference_files(manifest), tmp_path / "ref.json")
    stubs = run_zip(zip_path, stub_files(manifest), tmp_path / "stubs.json")
    gradescope.validate(ref)
    gradescope.validate(stubs)
    assert ref["score"] == 6 and stubs["score"] == 0
    assert all(t["output"] for t in stubs["tests"])


def test_setup_script_is_valid_bash(tmp_path):
    """Does setup.sh at least parse (it installs system-wide, so it runs only on Gradescope)?"""
    with zipfile.ZipFile(build_autograder(TOY, tmp_path / "ag.zip")) as zf:
        (tmp_path / "setup.sh").write_bytes(zf.read("setup.sh"))
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0


def test_setup_script_installs_a_python3_that_grades(tmp_path):
    """Run setup.sh into temporary folders (as Gradescope runs it into /opt and /usr/local/bin): is the python3 it
    puts on PATH the course's venv, and does run_autograder grade with it?"""
    zip_path = build_autograder(TOY, tmp_path / "ag.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    env = dict(os.environ, GRADER_VENV=str(tmp_path / "venv"), GRADER_BIN=str(tmp_path / "bin"))
    env["GRADER_PYTHON"] = "/usr/bin/python3.11" if Path("/usr/bin/python3.11").exists() else sys.executable
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    assert "grader python ok 3.11" in setup.stdout and str(tmp_path / "venv") in setup.stdout
    (root / "submission").mkdir()
    (root / "submission" / "ops.py").write_bytes(reference_files(load_manifest(TOY))["toy_pkg/ops.py"])
    run_env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "AUTOGRADER_ROOT": str(root)}
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=run_env, capture_output=True, timeout=300)
    doc = json.loads((root / "results" / "results.json").read_text())
    gradescope.validate(doc)
    assert doc["score"] == 6, doc["output"]


def test_handout_grader_holds_exactly_the_student_modules(handout):
    """Does the handout's grader/ hold exactly the import closure of make test and make submit, and none of the
    sandbox, the oracle, the builders, check, batch or the mutants?"""
    from grader.handout import student_modules

    shipped = {p.relative_to(handout / "grader").as_posix() for p in (handout / "grader").rglob("*") if p.is_file()}
    assert shipped == set(student_modules())
    assert {"public.py", "submit.py", "cli.py", "__main__.py", "cases.py"} <= shipped
    staff = {"sandbox/__init__.py", "oracle.py", "runner.py", "mutants.py", "autograder.py", "handout.py", "check.py"}
    assert not staff & shipped, staff & shipped
    assert "batch.py" not in shipped and "grade.py" not in shipped


def test_student_modules_follow_imports_but_not_staff_only_ones(tmp_path):
    """Is a module imported inside a function followed, and one whose import is marked staff-only left out?"""
    from grader.handout import student_modules

    pkg = tmp_path / "grader"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "entry.py").write_text(
        "import json\n\nfrom grader import helper\n\n\ndef f():\n    from grader.lazy import x\n\n"
        "    from grader import staff  # staff-only\n"
    )
    for name in ("helper", "lazy", "staff"):
        (pkg / f"{name}.py").write_text("x = 1\n")
    assert student_modules(["grader.entry"], pkg) == {"__init__.py", "entry.py", "helper.py", "lazy.py"}


def test_a_staff_command_in_a_handout_says_it_is_not_there(handout):
    """Does `python -m grader cases` in a handout say it is a staff command, instead of a traceback?"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "cases", "."], cwd=handout, env=env, capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "staff command" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_autograder_zip_holds_the_whole_grader_without_its_tests(tmp_path):
    """Does the zip carry every grader file (the sandbox too), and none of grader/tests/?"""
    from grader.layout import GRADER_DIR, LIBRARY_EXCLUDED, tree_files

    with zipfile.ZipFile(build_autograder(TOY, tmp_path / "ag.zip")) as zf:
        shipped = {n for n in zf.namelist() if n.startswith("grader/")}
    expected = {"grader/" + p.relative_to(GRADER_DIR).as_posix() for p in tree_files(GRADER_DIR, LIBRARY_EXCLUDED)}
    assert shipped == expected
    assert "grader/sandbox/box.py" in shipped and not any(n.startswith("grader/tests/") for n in shipped)


@pytest.fixture
def fake_trainkit(tmp_path, monkeypatch):
    """A trainkit/ with a marker module, a tests/ folder and a cache, standing in for the repository's."""
    from grader import layout

    kit = tmp_path / "trainkit"
    (kit / "tests").mkdir(parents=True)
    (kit / "__pycache__").mkdir()
    (kit / "__init__.py").write_text('"""staff library"""\n')
    (kit / "marker_for_test.py").write_text("MARK = 42\n")
    (kit / "tests" / "test_kit.py").write_text("def test_x():\n    pass\n")
    (kit / "__pycache__" / "marker_for_test.cpython-311.pyc").write_bytes(b"\0")
    monkeypatch.setattr(layout, "TRAINKIT_DIR", kit)
    return kit


def test_trainkit_travels_into_the_handout(fake_trainkit, tmp_path):
    """Does a file put into trainkit/ appear at the handout's root, without trainkit/tests/ and caches?"""
    out = release(TOY, tmp_path / "h")
    assert (out / "trainkit" / "marker_for_test.py").read_text() == "MARK = 42\n"
    assert (out / "trainkit" / "__init__.py").is_file()
    assert not (out / "trainkit" / "tests").exists() and not (out / "trainkit" / "__pycache__").exists()


def test_trainkit_travels_into_the_autograder_zip(fake_trainkit, tmp_path):
    """Does a file put into trainkit/ appear in the zip next to grader/, without trainkit/tests/?"""
    with zipfile.ZipFile(build_autograder(TOY, tmp_path / "ag.zip")) as zf:
        names = set(zf.namelist())
        assert zf.read("trainkit/marker_for_test.py") == b"MARK = 42\n"
    assert "grader/cli.py" in names
    assert not any(n.startswith("trainkit/tests/") or "__pycache__" in n for n in names)


def test_trainkit_travels_into_the_childs_code_folder(fake_trainkit, tmp_path):
    """Does prepare_code put trainkit/ (without its tests) into the code folder on the child's sys.path?"""
    from grader.runner import prepare_code

    manifest = load_manifest(TOY)
    code = tmp_path / "code"
    code.mkdir()
    prepare_code(code, TOY / manifest.package, {}, manifest.files, [p for p, _ in manifest.case_files()])
    assert (code / "trainkit" / "marker_for_test.py").read_text() == "MARK = 42\n"
    assert not (code / "trainkit" / "tests").exists() and not (code / "trainkit" / "__pycache__").exists()
    assert (code / "grader" / "child.py").is_file()
