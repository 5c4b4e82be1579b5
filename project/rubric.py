"""The project rubric and the rules the checker enforces, read from ``rubric.yaml``.

The file is the single source of truth: the checker, the grading sheet and the tests read it
through :func:`load_rubric`, which checks its shape and that the items add up to ``total``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RUBRIC_PATH = Path(__file__).resolve().parent / "rubric.yaml"


class RubricError(ValueError):
    """rubric.yaml is malformed: a key is missing or unknown, a type is wrong, or the totals disagree."""


@dataclass(frozen=True)
class Item:
    """One graded question: ``points`` at most, asked in the report (and the proposal when ``proposal``)."""

    id: str
    points: int
    question: str
    proposal: bool

    @property
    def column(self) -> str:
        """The grading sheet's column header, e.g. ``intro_what (5)``."""
        return f"{self.id} ({self.points})"


@dataclass(frozen=True)
class Section:
    """A part of the paper; ``headings`` are the heading texts that count as this section (none: whole paper)."""

    id: str
    title: str
    headings: tuple[str, ...]
    items: tuple[Item, ...]

    @property
    def points(self) -> int:
        return sum(item.points for item in self.items)


@dataclass(frozen=True)
class Rules:
    """What breaks the rules (see rubric.yaml for each value's meaning)."""

    min_pages: int
    max_pages: int
    references_count: bool
    body_font_pt: float
    smallest_font_pt: float
    contribution_statement_min_group: int


@dataclass(frozen=True)
class Rubric:
    total: int
    rules: Rules
    headings: dict[str, tuple[str, ...]]
    sections: tuple[Section, ...]

    def items(self) -> Iterator[Item]:
        """Every item, in the order of the paper."""
        for section in self.sections:
            yield from section.items

    @property
    def points(self) -> int:
        """The sum of all items' points (equal to ``total`` in a valid rubric)."""
        return sum(section.points for section in self.sections)


def _take(mapping: Any, keys: dict[str, type | tuple[type, ...]], where: str) -> dict[str, Any]:
    """Check that ``mapping`` has exactly ``keys`` with values of the given types; return it."""
    if not isinstance(mapping, dict):
        raise RubricError(f"{where}: expected a mapping, got {type(mapping).__name__}")
    missing = sorted(set(keys) - set(mapping))
    unknown = sorted(set(mapping) - set(keys))
    if missing or unknown:
        raise RubricError(f"{where}: missing keys {missing}, unknown keys {unknown}; expected {sorted(keys)}")
    for key, kind in keys.items():
        value = mapping[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise RubricError(f"{where}.{key}: expected {kind}, got {value!r}")
    return mapping


def _strings(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise RubricError(f"{where}: expected a list of non-empty strings, got {values!r}")
    return tuple(values)


def parse_rubric(data: Any, where: str = "rubric") -> Rubric:
    """Build a :class:`Rubric` from the parsed YAML; raises RubricError naming the faulty key."""
    top = _take(data, {"total": int, "rules": dict, "headings": dict, "sections": list}, where)
    rules = Rules(
        **_take(
            top["rules"],
            {
                "min_pages": int,
                "max_pages": int,
                "references_count": bool,
                "body_font_pt": (int, float),
                "smallest_font_pt": (int, float),
                "contribution_statement_min_group": int,
            },
            f"{where}.rules",
        )
    )
    if not 1 <= rules.min_pages <= rules.max_pages:
        raise RubricError(
            f"{where}.rules: expected 1 <= min_pages <= max_pages, got {rules.min_pages}, {rules.max_pages}"
        )
    headings = {name: _strings(values, f"{where}.headings.{name}") for name, values in top["headings"].items()}
    for needed in ("abstract", "contributions", "references"):
        if needed not in headings:
            raise RubricError(f"{where}.headings: missing {needed!r}")
    sections = []
    seen: set[str] = set()
    for i, raw in enumerate(top["sections"]):
        s_where = f"{where}.sections[{i}]"
        sec = _take(raw, {"id": str, "title": str, "headings": list, "items": list}, s_where)
        items = []
        for j, raw_item in enumerate(sec["items"]):
            i_where = f"{s_where}.items[{j}]"
            it = _take(raw_item, {"id": str, "points": int, "proposal": bool, "question": str}, i_where)
            if it["points"] <= 0:
                raise RubricError(f"{i_where}.points: expected > 0, got {it['points']}")
            if it["id"] in seen:
                raise RubricError(f"{i_where}.id: {it['id']!r} is used twice")
            seen.add(it["id"])
            items.append(
                Item(
                    id=it["id"], points=it["points"], question=" ".join(it["question"].split()), proposal=it["proposal"]
                )
            )
        if not items:
            raise RubricError(f"{s_where}.items: a section needs at least one item")
        sections.append(
            Section(sec["id"], sec["title"], _strings(sec["headings"], f"{s_where}.headings"), tuple(items))
        )
    rubric = Rubric(total=top["total"], rules=rules, headings=headings, sections=tuple(sections))
    if rubric.points != rubric.total:
        raise RubricError(f"{where}: the items add up to {rubric.points} points, but total says {rubric.total}")
    return rubric


def load_rubric(path: str | Path = RUBRIC_PATH) -> Rubric:
    """Read and check ``rubric.yaml`` (``yaml.safe_load``)."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        return parse_rubric(yaml.safe_load(fh), where=str(path))
