"""What a student sees on Gradescope of a results document, before and after publication.

Gradescope shows each test by its ``visibility`` (a test without one takes the document's):
``visible`` at once, ``after_due_date`` once the due date has passed, ``after_published``
once the staff publish the grades, ``hidden`` never. The top-level ``output`` is shown with
the document's visibility. We show the total score only in a phase where no test is hidden
from the student (a total would give away the hidden points); ``stdout`` never.
"""

from __future__ import annotations

from typing import Any

PHASES = (
    ("before the due date", {"visible"}),
    ("after the due date, before publication", {"visible", "after_due_date"}),
    ("after the grades are published", {"visible", "after_due_date", "after_published"}),
)


def _shown(doc: dict[str, Any], test: dict[str, Any], seen: set[str]) -> bool:
    return test.get("visibility", doc.get("visibility", "visible")) in seen


def render(doc: dict[str, Any], phase: str, seen: set[str], width: int = 100) -> str:
    """The student's view in one phase: the output, the visible tests, what stays hidden."""
    tests = doc.get("tests", [])
    shown = [t for t in tests if _shown(doc, t, seen)]
    hidden = [t for t in tests if not _shown(doc, t, seen)]
    lines = [f"=== {phase} ==="]
    if doc.get("visibility", "visible") in seen and doc.get("output"):
        lines.append(str(doc["output"]).rstrip())
        lines.append("")
    if hidden:
        lines.append(f"total score: not shown ({len(hidden)} tests hidden from the student)")
    else:
        total = sum(float(t.get("max_score", 0)) for t in tests)
        lines.append(f"total score: {float(doc.get('score', 0)):g} / {total:g}")
    for t in shown:
        mark = "passed" if t.get("status") == "passed" else "failed"
        lines.append(
            f"  [{mark}] {t.get('score', 0):g}/{t.get('max_score', 0):g}  {t.get('number', '')} {t.get('name', '')}"
        )
        for out in str(t.get("output", "")).splitlines()[:6] if mark == "failed" else []:
            lines.append(f"        {out[:width]}")
    if hidden:
        points = sum(float(t.get("max_score", 0)) for t in hidden)
        lines.append(f"  ({len(hidden)} more tests, {points:g} points, are not shown yet)")
    return "\n".join(lines)


def preview(doc: dict[str, Any], published: str = "both") -> str:
    """Every phase's view (``published``: "no" for the phases before publication, "yes" after)."""
    phases = [p for p in PHASES if published == "both" or (published == "yes") == p[0].startswith("after the grades")]
    return "\n\n".join(render(doc, name, seen) for name, seen in phases)
