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
