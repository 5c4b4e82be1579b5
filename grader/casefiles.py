"""An assignment's case files, imported on the trusted side: the public ``tests/cases.py``
and the hidden ``grading/cases.py`` that its manifest names.

Case files are staff code: they import the staff copy of the assignment package (the
reference) to build inputs, never the student's. The child imports its own copies (see
``child.py``); a student's ``make test`` imports the public file alone (``public.py``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from grader.cases import Case, gather_cases
from grader.manifest import Manifest


@contextlib.contextmanager
def staff_imports(manifest: Manifest) -> Iterator[None]:
    """Let case files import the staff copy of the assignment package (trusted side only)."""
    root = str(manifest.root)
    sys.path.insert(0, root)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(root)


def load_cases(manifest: Manifest, include_hidden: bool = True) -> list[tuple[Case, bool]]:
    """(case, public) for the manifest's case files, public first; names unique across them."""
    with staff_imports(manifest):
        return gather_cases(manifest.case_files(include_hidden))


def case_table(manifest: Manifest, cases: list[tuple[Case, bool]], limits: dict[str, float], factor: float) -> str:
    """Every case as a table row (public or hidden, points, time limit, title), then the totals.

    ``limits`` maps each case to its time limit in seconds; ``factor`` is how many times the
    reference's time a case may take when it declares no limit of its own.
    """
    width = max([4, *(len(c.name) for c, _ in cases)])
    lines = [f"{'case':{width}s} {'kind':6s} {'points':>6s} {'limit':>7s}  title"]
    for case, public in cases:
        kind = "public" if public else "hidden"
        lines.append(f"{case.name:{width}s} {kind:6s} {case.points:6g} {limits[case.name]:6g}s  {case.title}")
    n_pub = sum(p for _, p in cases)
    pub_points = sum(c.points for c, p in cases if p)
    total = sum(c.points for c, _ in cases)
    floor, cap = manifest.limits.case_time_floor_s, manifest.limits.case_time_limit_s
    lines.append(
        f"{len(cases)} cases, {total:g} points: {n_pub} public ({pub_points:g} points), "
        f"{len(cases) - n_pub} hidden ({total - pub_points:g} points).\n"
        f"A case's limit is {factor:g} times the reference's time, within {floor:g}-{cap:g} s, "
        "unless it declares its own."
    )
    return "\n".join(lines)
