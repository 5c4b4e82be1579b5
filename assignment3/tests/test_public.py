"""Public tests: the autograder's public cases (tests/cases.py), run here with the same comparisons."""

from pathlib import Path

import pytest

from grader.public import check_case, public_cases

HERE = Path(__file__).resolve().parent
CASES = public_cases(HERE)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_public(case):
    check_case(HERE, case)
