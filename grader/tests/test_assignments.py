"""Every assignment in the repository: its manifest, README, handout and `check` hold up.

These run the real grader on the real reference, so a change to an assignment that breaks
grading (a reference that misses a point, a stub that earns one, mutants that slip
through, a handout that leaks a solution line) fails here.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.casefiles import load_cases
from grader.check import all_mutants, format_report, reference_files, run_check
from grader.handout import release
from grader.manifest import load_manifest
from grader.markers import solution_lines

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in ROOT.glob("assignment*") if (p / "assignment.toml").exists())


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def manifest(request):
    return load_manifest(ROOT / request.param)


@pytest.fixture(scope="module")
def handout(manifest, tmp_path_factory):
    return release(manifest, tmp_path_factory.mktemp("handout") / manifest.name)


def test_readme_states_the_points_of_the_cases(manifest):
    """Does the README's Points section give the total, public and hidden points the cases add up to?"""
    cases = load_cases(manifest)
    public = [c for c, pub in cases if pub]
    hidden = [c for c, pub in cases if not pub]
    total = sum(c.points for c, _ in cases)
    assert total == manifest.total_points
    text = (manifest.root / "README.md").read_text()
    section = text.split("## Points", 1)[1].split("\n## ", 1)[0]

    def fmt(x: float) -> str:
        return f"{x:g}"

    assert re.search(rf"\b{fmt(total)} points in all", section), section
    assert f"{fmt(sum(c.points for c in public))} points from the {len(public)} public cases" in section
    assert f"{fmt(sum(c.points for c in hidden))} points from {len(hidden)} hidden cases" in section


# Mutants graded per assignment here: an evenly spread sample keeps the suite within its time
# budget (each mutant starts a sandboxed child that imports torch); `make check` grades them all.
MUTANT_SAMPLE = 60


def test_check_passes(manifest):
    """Reference full, stubs zero with reasons, and at least 90% of an evenly spread sample of mutants caught?"""
    report = run_check(manifest, workers=2, progress=False, limit=MUTANT_SAMPLE)
    assert report.ok, format_report(manifest, report)
    assert len(report.caught) + len(report.survived) == min(MUTANT_SAMPLE, len(all_mutants(manifest)))


def test_handout_leaks_no_solution_line(manifest, handout):
    """Is no distinctive solution line (one not also written outside the regions) anywhere in the handout,
    its tests and README included?"""
    text = "\n".join(p.read_text(errors="replace") for p in handout.rglob("*") if p.suffix in (".py", ".md"))
    leaked = []
    for rel in manifest.code_files:  # a trained checkpoint is not text and never ships
        lines = (manifest.root / rel).read_text().splitlines()
        region = solution_lines(lines, rel)
        numbers = {n for n, _ in region}
        inside = {line.strip() for _, line in region}
        outside = {line.strip() for n, line in enumerate(lines, start=1) if n not in numbers}
        for line in inside - outside:
            if len(line) >= 25 and not line.startswith("#") and line in text:
                leaked.append(f"{rel}: {line}")
    assert not leaked
    assert not (handout / "grading").exists() and not (handout / "expected").exists()


def _pytest(folder: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_handout_public_tests_fail_on_stubs_and_pass_on_the_reference(manifest, handout, tmp_path):
    """In the handout: do public tests fail with 'not implemented yet' (not import errors), then pass when filled?"""
    proc = _pytest(handout)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "not implemented yet" in proc.stdout
    assert "ImportError" not in proc.stdout and "ModuleNotFoundError" not in proc.stdout
    assert " passed" not in proc.stdout.splitlines()[-1], proc.stdout.splitlines()[-1]
    filled = tmp_path / "filled"
    shutil.copytree(handout, filled)
    for rel, data in reference_files(manifest).items():
        (filled / rel).write_bytes(data)
    proc = _pytest(filled)
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_given_code_after_a_region_that_a_return_would_skip(assignment):
    """Is every line of given code that follows a solution region in its function a bare
    ``return``? A student who returns from inside the region (as most solutions do) skips the
    rest, so bookkeeping there (say, recording the output's shape) would fail correct code."""
    from grader.markers import find_regions

    manifest = load_manifest(ROOT / assignment)
    skipped = []
    for rel in manifest.code_files:
        lines = (manifest.root / rel).read_text().splitlines()
        for region in find_regions(lines, rel):
            if region.qualname.endswith("__init__"):
                continue  # a constructor returns nothing: nobody returns early from one
            for line in lines[region.end + 1 :]:
                stripped = line.strip()
                if stripped and not stripped.startswith("#") and len(line) - len(line.lstrip()) < len(region.indent):
                    break  # the function (or block) has ended
                if stripped and not stripped.startswith(("#", "return")):
                    skipped.append(f"{rel}:{region.qualname}: {stripped}")
    assert skipped == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_cases_that_promise_a_dtype_compare_it(assignment):
    """Does every case whose title promises "same dtype" compare the dtype itself?"""
    cases = load_cases(load_manifest(ROOT / assignment))
    loose = [c.name for c, _ in cases if "same dtype" in c.title and not c.exact_dtype]
    assert loose == []
