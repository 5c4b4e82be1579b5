"""Solution regions: find them and replace them by stubs. Pure functions over lines.

Grammar: ``# BEGIN SOLUTION`` and ``# END SOLUTION`` are whole lines once stripped, always
paired, never nested, and only inside a function body (indented). In a handout each region
becomes ``raise NotImplementedError(...)`` at the marker's indentation, naming the
function, so the module imports and the stub fails loudly when called.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
_DEF_RE = re.compile(r"^(\s*)(?:async\s+)?def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_CLASS_RE = re.compile(r"^(\s*)class\s+([A-Za-z_][A-Za-z0-9_]*)")
_LOOSE_RE = re.compile(r"#\s*(BEGIN|END)\s+SOLUTION", re.IGNORECASE)


class MarkerError(ValueError):
    """A malformed solution region; the message names the file and the line."""


@dataclass(frozen=True)
class Region:
    """Lines ``begin`` .. ``end`` (0-based, inclusive, the marker lines) of one region."""

    begin: int
    end: int
    indent: str
    qualname: str


def _qualname(lines: list[str], index: int, indent: str) -> str:
    """Name of the function (``Class.method``) whose body holds line ``index``."""
    names: list[str] = []
    limit = len(indent)
    for line in reversed(lines[:index]):
        m = _DEF_RE.match(line) or _CLASS_RE.match(line)
        if m and len(m.group(1)) < limit:
            names.append(m.group(2))
            limit = len(m.group(1))
            if limit == 0:
                break
    return ".".join(reversed(names))


def find_regions(lines: list[str], filename: str = "<source>") -> list[Region]:
    """Return the regions of ``lines``; raise MarkerError on any malformed marker."""
    regions: list[Region] = []
    open_at: int | None = None
    open_indent = ""
    for i, line in enumerate(lines):
        stripped = line.strip()
        where = f"{filename}:{i + 1}"
        if stripped == BEGIN:
            if open_at is not None:
                raise MarkerError(f"{where}: BEGIN SOLUTION inside the region opened at line {open_at + 1}")
            open_indent = line[: len(line) - len(line.lstrip())]
            if not open_indent:
                raise MarkerError(f"{where}: a solution region must be inside a function body")
            open_at = i
        elif stripped == END:
            if open_at is None:
                raise MarkerError(f"{where}: END SOLUTION without a BEGIN SOLUTION")
            indent = line[: len(line) - len(line.lstrip())]
            if indent != open_indent:
                raise MarkerError(f"{where}: END SOLUTION indented differently from its BEGIN (line {open_at + 1})")
            qualname = _qualname(lines, open_at, open_indent)
            if not qualname:
                raise MarkerError(f"{where}: a solution region must be inside a function body")
            regions.append(Region(open_at, i, open_indent, qualname))
            open_at = None
        elif _LOOSE_RE.search(line):
            raise MarkerError(f"{where}: malformed solution marker {stripped!r}; write {BEGIN!r} or {END!r} alone")
    if open_at is not None:
        raise MarkerError(f"{filename}:{open_at + 1}: BEGIN SOLUTION is never closed")
    return regions


def strip_solutions(lines: list[str], filename: str = "<source>") -> list[str]:
    """Replace every region of ``lines`` by a stub that raises NotImplementedError."""
    regions = find_regions(lines, filename)
    out: list[str] = []
    pos = 0
    for r in regions:
        out.extend(lines[pos : r.begin])
        newline = "\n" if lines[r.begin].endswith("\n") else ""
        stub = f'raise NotImplementedError("{r.qualname}: not implemented yet (see the README)")'
        out.append(f"{r.indent}{stub}{newline}")
        pos = r.end + 1
    out.extend(lines[pos:])
    return out


def solution_lines(lines: list[str], filename: str = "<source>") -> list[tuple[int, str]]:
    """(1-based line number, text) of every line strictly inside a region."""
    return [(i + 1, lines[i]) for r in find_regions(lines, filename) for i in range(r.begin + 1, r.end)]


def only_solutions(lines: list[str], filename: str = "<source>") -> list[str]:
    """Drop the marker lines and keep the region contents: the reference as a plain file."""
    regions = find_regions(lines, filename)
    markers = {r.begin for r in regions} | {r.end for r in regions}
    return [line for i, line in enumerate(lines) if i not in markers]
