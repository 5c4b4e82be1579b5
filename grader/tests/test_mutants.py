"""Mutants: generated only inside solution regions, and caught by the toy's cases."""

from pathlib import Path

from grader.check import format_report, run_check
from grader.manifest import load_manifest
from grader.mutants import mutants_of

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"

SOURCE = """import numpy as np

def f(x, reg):
    y = x + 1
    # BEGIN SOLUTION
    z = np.sum(x * 2, axis=1, keepdims=True)
    z += reg * x
    if z[0, 0] < 3:
        z = -z
    for start in range(0, 10, 4):
        z = z + x[start : start + 4].sum()
    # END SOLUTION
    return z
"""


def test_mutants_touch_only_region_lines():
    """Does every mutant change a line inside a region, never `y = x + 1`?"""
    muts = mutants_of("f.py", SOURCE)
    assert muts and all(5 < m.line < 12 for m in muts)
    kinds = " | ".join(m.description for m in muts)
    for expected in (
        "operator * -> /",
        "axis -> 0",
        "keepdims -> False",
        "sum -> mean",
        "deleted `z += reg * x`",
        "comparison < -> <=",
        "dropped a unary minus",
        "constant 2 -> 3",
    ):
        assert expected in kinds, expected


def test_check_on_toy_gives_full_reference_zero_stubs_and_catches_mutants():
    """Does `check` pass on the toy: reference 6/6, stubs 0, every mutant caught?"""
    manifest = load_manifest(TOY)
    report = run_check(manifest, workers=2, progress=False)
    text = format_report(manifest, report)
    assert report.ok, text
    assert report.reference.score == 6 and report.stubs.score == 0
    assert report.mutation_score == 1.0 and len(report.caught) >= 5, text


def test_fail_fast_runs_slow_cases_after_the_quick_ones(tmp_path):
    """A case declaring a longer limit than the default runs last under fail-fast, so a mutant
    caught by a quick case never pays for it (check grades hundreds of mutants this way)."""
    import shutil

    from grader import oracle
    from grader.check import reference_files
    from grader.grade import grade

    work = tmp_path / "toy"
    shutil.copytree(TOY, work)
    hidden = work / "grading" / "cases.py"
    slow = (
        "def _slow(a, b):\n    import time\n\n    time.sleep(2)\n    return _add(a, b)\n\n\n"
        "CASES = [\n    Case('slow_add', 'add, slowly', _slow, points=0, timeout_s=30,\n"
        "         inputs=lambda rng: {'a': rng.standard_normal(2), 'b': rng.standard_normal(2)}),"
    )
    hidden.write_text(hidden.read_text().replace("CASES = [", slow, 1))
    manifest = load_manifest(work)
    files = reference_files(manifest)
    files["toy_pkg/ops.py"] = files["toy_pkg/ops.py"].replace(b"return x * s", b"return x * s + 1")
    graded = grade(manifest, None, student_files=files, oracle_dir=oracle.cached(manifest), fail_fast=True)
    by_case = {t["tags"][1]: t for t in graded.results["tests"]}
    assert by_case["slow_add"]["output"].endswith("not run: grading stopped at the first failure")
    assert graded.score < graded.max_score
    # Without fail-fast every case runs, the slow one included, and reports in file order.
    graded = grade(manifest, None, student_files=files, oracle_dir=oracle.cached(manifest))
    assert graded.results["tests"][1]["tags"][1] == "slow_add"
    assert by_case["slow_add"]["max_score"] == 0 and "not run" not in graded.results["tests"][1]["output"]


def test_not_mutated_leaves_the_students_own_design_alone(tmp_path):
    """Regions named in [grading] not_mutated (graded by outcome, like a trained model) get no mutants;
    the others keep theirs, and a malformed value is a clear error."""
    import shutil

    import pytest

    from grader.check import all_mutants

    work = tmp_path / "toy"
    shutil.copytree(TOY, work)
    every = all_mutants(load_manifest(work))
    toml = work / "assignment.toml"
    toml.write_text(toml.read_text().replace("[grading]\n", '[grading]\nnot_mutated = ["scale"]\n'))
    kept = all_mutants(load_manifest(work))
    source = (work / "toy_pkg" / "ops.py").read_text().splitlines()
    scale_body = next(i for i, line in enumerate(source, start=1) if "return x * s" in line)
    assert any(m.line == scale_body for m in every) and not any(m.line == scale_body for m in kept)
    assert 0 < len(kept) < len(every) and {m.description for m in kept} <= {m.description for m in every}
    toml.write_text(toml.read_text().replace('not_mutated = ["scale"]', "not_mutated = [1]"))
    with pytest.raises(ValueError, match="not_mutated"):
        load_manifest(work)
