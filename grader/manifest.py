"""The assignment manifest, ``assignmentN/assignment.toml``, read into a frozen dataclass.

Example::

    [assignment]
    title = "Assignment 1: a multilayer perceptron in NumPy"
    package = "mnist_mlp"
    total_points = 60

    [submission]
    files = ["mnist_mlp/functional.py", "mnist_mlp/models.py"]
    max_file_kb = 512          # per .py file
    max_binary_mb = 20         # per other file (a checkpoint such as "pkg/my_model.pt")
    max_zip_mb = 20            # the uploaded zip
    max_zip_files = 2000

    [grading]
    public_cases = "tests/cases.py"
    hidden_cases = "grading/cases.py"
    time_limit_s = 480         # whole grading of one submission (Gradescope's default limit is 600)
    case_time_limit_s = 60     # one case at most, unless the case says otherwise
    case_time_floor_s = 2      # one case at least; in between, 20 times the reference's time on it
    memory_mb = 2048           # resident memory of everything the child starts
    max_processes = 128        # processes and threads of the sandbox user
    max_output_kb = 256        # captured stdout+stderr kept
    max_file_mb = 256          # largest file the child may write
    threads = 1                # OMP/BLAS threads in the child, for determinism
    hidden_visibility = "after_published"
    not_mutated = ["MyModel"]  # regions of the student's own design (qualname prefixes): no mutants
    preload = ["torch"]        # imported by the child before the first case: not a case's time

Unknown keys are rejected, so a typo does not silently fall back to a default.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading; defaults suit a NumPy assignment."""

    time_limit_s: float = 480.0
    case_time_limit_s: float = 60.0
    case_time_floor_s: float = 2.0
    memory_mb: int = 2048
    max_processes: int = 128
    max_output_kb: int = 256
    max_file_mb: int = 256
    threads: int = 1


@dataclass(frozen=True)
class Manifest:
    """What the grader needs to know about one assignment."""

    root: Path
    title: str
    package: str
    total_points: float
    files: tuple[str, ...]
    public_cases: str
    hidden_cases: str | None
    limits: Limits
    hidden_visibility: str = "after_published"
    # Solution regions whose function's qualified name starts with one of these are the
    # student's own design, graded by outcome (a trained model's accuracy), not against the
    # reference: ``check`` does not mutate them, since any change there is legitimate.
    not_mutated: tuple[str, ...] = ()
    # Modules the child imports before its first case, so that their start-up is not a case's time.
    preload: tuple[str, ...] = ("numpy",)
    max_file_kb: int = 512
    max_binary_mb: int = 20
    max_zip_mb: int = 20
    max_zip_files: int = 2000

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def code_files(self) -> tuple[str, ...]:
        """Submission files that are Python source (the ones with solution regions)."""
        return tuple(f for f in self.files if f.endswith(".py"))

    def limit_bytes(self, rel: str) -> int:
        """Largest accepted size of submission file ``rel``."""
        return self.max_file_kb * 1024 if rel.endswith(".py") else self.max_binary_mb * 2**20

    def case_files(self, include_hidden: bool = True) -> list[tuple[Path, bool]]:
        """(path, public) of each case file that exists."""
        out = [(self.root / self.public_cases, True)]
        if include_hidden and self.hidden_cases and (self.root / self.hidden_cases).exists():
            out.append((self.root / self.hidden_cases, False))
        return out


def _take(table: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any, where: str) -> Any:
    if key not in table:
        return default
    value = table.pop(key)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{where}: {key} must be {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def load_manifest(assignment_dir: str | Path) -> Manifest:
    """Read and validate ``assignment.toml`` in ``assignment_dir``."""
    root = Path(assignment_dir).resolve()
    path = root / "assignment.toml"
    if not path.is_file():
        raise FileNotFoundError(f"{root}: no assignment.toml (is this an assignment folder?)")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    where = str(path)
    a = dict(data.pop("assignment", {}))
    s = dict(data.pop("submission", {}))
    g = dict(data.pop("grading", {}))
    if data:
        raise ValueError(f"{where}: unknown tables {sorted(data)}")
    title = _take(a, "title", str, None, where + " [assignment]")
    package = _take(a, "package", str, None, where + " [assignment]")
    total = _take(a, "total_points", float, None, where + " [assignment]")
    if title is None or package is None or total is None:
        raise ValueError(f"{where}: [assignment] needs title, package and total_points")
    files = _take(s, "files", list, None, where + " [submission]")
    if not files or not all(isinstance(f, str) for f in files):
        raise ValueError(f"{where}: [submission] files must be a non-empty list of paths")
    for f in files:
        p = PurePosixPath(f)
        if p.is_absolute() or ".." in p.parts or not p.suffix:
            raise ValueError(f"{where}: submission file {f!r} must be a relative path with a suffix")
        # Source files hold the reference; other files (a trained checkpoint) may be made later.
        if f.endswith(".py") and not (root / f).is_file():
            raise ValueError(f"{where}: submission file {f!r} does not exist in {root}")
    if len({PurePosixPath(f).name for f in files}) != len(files):
        raise ValueError(f"{where}: submission files must have distinct base names (they are found by name)")
    sub = {
        "max_file_kb": _take(s, "max_file_kb", int, 512, where),
        "max_binary_mb": _take(s, "max_binary_mb", int, 20, where),
        "max_zip_mb": _take(s, "max_zip_mb", int, 20, where),
        "max_zip_files": _take(s, "max_zip_files", int, 2000, where),
    }
    public_cases = _take(g, "public_cases", str, "tests/cases.py", where)
    hidden_cases = _take(g, "hidden_cases", str, "grading/cases.py", where)
    visibility = _take(g, "hidden_visibility", str, "after_published", where)
    not_mutated = _take(g, "not_mutated", list, [], where)
    if not all(isinstance(n, str) and n for n in not_mutated):
        raise ValueError(f"{where}: [grading] not_mutated must be a list of function names, got {not_mutated!r}")
    preload = _take(g, "preload", list, ["numpy"], where)
    if not all(isinstance(n, str) and re.fullmatch(r"[A-Za-z_][\w.]*", n) for n in preload):
        raise ValueError(f"{where}: [grading] preload must be a list of module names, got {preload!r}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"{where}: hidden_visibility must be one of {VISIBILITIES}, got {visibility!r}")
    limit_kw: dict[str, Any] = {}
    for f in fields(Limits):
        kind = float if f.type in ("float", float) else int
        value = _take(g, f.name, kind, None, where + " [grading]")
        if value is not None:
            if value <= 0:
                raise ValueError(f"{where}: [grading] {f.name} must be positive, got {value}")
            limit_kw[f.name] = value
    for table, label in ((a, "assignment"), (s, "submission"), (g, "grading")):
        if table:
            raise ValueError(f"{where}: unknown keys in [{label}]: {sorted(table)}")
    return Manifest(
        root=root,
        title=title,
        package=package,
        total_points=total,
        files=tuple(files),
        public_cases=public_cases,
        hidden_cases=hidden_cases,
        limits=Limits(**limit_kw),
        hidden_visibility=visibility,
        not_mutated=tuple(not_mutated),
        preload=tuple(preload),
        **sub,
    )
