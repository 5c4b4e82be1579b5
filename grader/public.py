"""Public tests: the grader's public cases and comparisons, run in-process with pytest.

An assignment's ``tests/test_public.py`` is three lines that call into here. In a handout
the expected values come from ``tests/expected/`` (baked in by the release); in the course
repository they come from the oracle, built from the reference. Either way the check is
the one the autograder makes, so what passes here passes there.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from grader.cases import PUBLIC_MODULE, Case, load_case_module, load_npz, to_arrays
from grader.compare import compare_outputs

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is in the requirements
    pytest = None


def public_cases(tests_dir: Path) -> list[Case]:
    """The cases of ``tests_dir/cases.py``."""
    return load_case_module(Path(tests_dir) / "cases.py", PUBLIC_MODULE)


@cache
def _expected_dir(tests_dir: Path) -> Path:
    baked = tests_dir / "expected"
    if baked.is_dir():
        return baked
    from grader import oracle
    from grader.manifest import load_manifest

    return oracle.cached(load_manifest(tests_dir.parent)) / oracle.PUBLIC_DIR


def check_case(tests_dir: Path, case: Case) -> None:
    """Run ``case`` on the code on ``sys.path`` and fail the test with the grader's message."""
    tests_dir = Path(tests_dir).resolve()
    expected_dir = _expected_dir(tests_dir)
    inputs = load_npz(expected_dir / f"{case.name}.in.npz")
    try:
        result = case.run(**inputs, **dict(case.params))
    except NotImplementedError as exc:
        pytest.fail(f"not implemented yet: {exc}", pytrace=False)
    try:
        got = to_arrays(result)
    except TypeError as exc:
        pytest.fail(str(exc), pytrace=False)
    expected = load_npz(expected_dir / f"{case.name}.out.npz")
    if case.score is not None:
        frac, msg = case.score(got, expected, load_npz(expected_dir / f"{case.name}.secret.npz"))
        if frac < 1.0:
            pytest.fail(f"{case.title}: scored {frac:.2f} of the points: {msg}", pytrace=False)
        return
    problems = compare_outputs(got, expected, case.atol, case.rtol, reveal=True)
    if problems:
        pytest.fail(f"{case.title}\n  " + "\n  ".join(problems), pytrace=False)
