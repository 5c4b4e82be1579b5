"""Build the student handout of an assignment from the course repository.

The handout is the assignment folder with every solution region replaced by a stub, the
public cases' expected values baked into ``tests/expected/``, the staff library
``trainkit/``, and the grader's student-side modules only: those ``make test`` and
``make submit`` import (``student_modules``, computed from the imports of
``layout.STUDENT_ENTRIES``), not the sandbox, the oracle or the builders. It never contains
``grading/``, hidden cases or their expected values. The build is deterministic: same
sources, same bytes.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from grader import layout, oracle
from grader.casefiles import load_cases
from grader.grade import case_time_limits
from grader.layout import (
    GRADER_DIR,
    LIBRARY_EXCLUDED,
    LIMITS_FILE,
    PUBLIC_DIR,
    REQUIREMENTS,
    STAFF_ONLY,
    STUDENT_ENTRIES,
    baked_expected,
    copy_library,
    tree_files,
)
from grader.manifest import Manifest, load_manifest
from grader.markers import MarkerError, find_regions, strip_solutions

TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".yaml", ".yml", ".cfg", ".ini", ".json", ".sh", ""}


def copy_stubbed(src_root: Path, dest_root: Path, exclude: frozenset[str] = frozenset()) -> int:
    """Copy ``src_root`` to ``dest_root`` with regions stubbed; returns the region count.

    ``exclude`` names files (relative POSIX paths) never to copy: the non-source submission
    files, whose repository copy is the course's reference (a trained checkpoint).
    """
    count = 0
    for path in tree_files(src_root):
        rel = path.relative_to(src_root)
        if rel.as_posix() in exclude:
            continue
        target = dest_root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            lines = path.read_text().splitlines(keepends=True)
            count += len(find_regions(lines, str(path)))
            target.write_text("".join(strip_solutions(lines, str(path))))
        else:
            if path.suffix in TEXT_SUFFIXES or path.name == "Makefile":
                text = path.read_text(errors="replace")
                if "BEGIN SOLUTION" in text and path.suffix != ".md":
                    raise MarkerError(f"{path}: solution markers are only allowed in .py files")
            shutil.copyfile(path, target)
        os.chmod(target, 0o755 if os.access(path, os.X_OK) and path.suffix in (".sh", "") else 0o644)
    return count


def _module_file(name: str, package_dir: Path) -> Path | None:
    """The file of module ``name`` (``grader.x`` or ``grader.x.y``) in ``package_dir``; None if it is none of ours."""
    parts = name.split(".")
    if parts[0] != package_dir.name:
        return None
    base = package_dir.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported(tree: ast.AST, lines: Sequence[str]) -> list[str]:
    """Module names an AST imports, anywhere in it (also inside functions), except the import
    statements marked ``layout.STAFF_ONLY``; ``from pkg import x`` names both pkg and pkg.x."""
    out: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        end = node.end_lineno or node.lineno
        if any(STAFF_ONLY in line for line in lines[node.lineno - 1 : end]):
            continue
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif node.module and not node.level:
            out.append(node.module)
            out += [f"{node.module}.{alias.name}" for alias in node.names]
    return out


def student_modules(entries: Collection[str] = STUDENT_ENTRIES, package_dir: Path = GRADER_DIR) -> frozenset[str]:
    """The grader files (paths relative to ``package_dir``) that ``entries`` import, transitively:
    every import statement counts, at module level or inside a function, unless marked
    ``layout.STAFF_ONLY``; each module's parent packages count too. What a handout carries."""
    found: set[Path] = set()
    todo = list(entries)
    while todo:
        name = todo.pop()
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run first
        path = _module_file(name, package_dir)
        if path is None or path in found:
            continue
        found.add(path)
        source = path.read_text()
        todo += _imported(ast.parse(source, str(path)), source.splitlines())
    return frozenset(p.relative_to(package_dir).as_posix() for p in found)


def copy_grader(dest: Path, only: Collection[str] | None = None) -> None:
    """Copy the grader package to ``dest/grader``, without its own tests; ``only``: just these
    files (paths relative to the package, as ``student_modules`` gives them)."""
    for path in tree_files(GRADER_DIR, skip=LIBRARY_EXCLUDED):
        rel = path.relative_to(GRADER_DIR)
        if only is not None and rel.as_posix() not in only:
            continue
        target = dest / "grader" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)


def copy_trainkit(dest: Path) -> None:
    """Copy the staff library to ``dest/trainkit``, without its tests: assignment packages import it."""
    copy_library(layout.TRAINKIT_DIR, dest / "trainkit")  # read at call time: tests point it elsewhere


def binary_files(manifest: Manifest) -> frozenset[str]:
    """Submission files that are not source: kept out of handouts and autograder zips."""
    return frozenset(f for f in manifest.files if not f.endswith(".py"))


def requirements_of(manifest: Manifest) -> Path:
    """The assignment's own pinned requirements when it has them, else the course's."""
    own = manifest.root / "requirements.txt"
    return own if own.exists() else REQUIREMENTS


def environment_yml(requirements: Path, name: str) -> str:
    """A conda environment with Python 3.11 and exactly the pinned pip requirements."""
    pins = [line.split("#")[0].strip() for line in requirements.read_text().splitlines()]
    body = "".join(f"      - {p}\n" for p in pins if p)
    return (
        f"# conda env create -f environment.yml && conda activate {name}\n"
        f"name: {name}\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n{body}"
    )


def release(assignment: Path | Manifest, out: Path) -> Path:
    """Build the handout of ``assignment`` in ``out`` (replaced if it exists)."""
    manifest = assignment if isinstance(assignment, Manifest) else load_manifest(assignment)
    oracle_dir = oracle.cached(manifest)
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    copy_stubbed(manifest.root, out, binary_files(manifest))
    copy_grader(out, only=student_modules())
    copy_trainkit(out)
    requirements = requirements_of(manifest)
    shutil.copyfile(requirements, out / "requirements.txt")
    (out / "environment.yml").write_text(environment_yml(requirements, f"dlcourse-{manifest.name}"))
    expected = baked_expected(out / Path(manifest.public_cases).parent)
    expected.mkdir(parents=True, exist_ok=True)
    for case, public in load_cases(manifest, include_hidden=False):
        if not public:
            continue
        for kind in ("in", "out", "secret"):
            target = expected / f"{case.name}.{kind}.npz"
            shutil.copyfile(oracle_dir / PUBLIC_DIR / f"{case.name}.{kind}.npz", target)
            os.chmod(target, 0o644)
    # Each public case's time limit, the grader's own, so that make test stops a case where the
    # autograder would and names it.
    limits = limits_document(manifest, oracle_dir)
    (expected / LIMITS_FILE).write_text(json.dumps(limits, indent=1, sort_keys=True) + "\n")
    return out


def limits_document(manifest: Manifest, oracle_dir: Path) -> dict[str, Any]:
    """What ``tests/expected/limits.json`` holds: the modules imported before the first case's
    clock starts (the grader's ``preload``) and each public case's limit in seconds, the
    grader's own (``grade.case_time_limits`` from the reference's time in the oracle)."""
    cases = [(c, pub) for c, pub in load_cases(manifest, include_hidden=False) if pub]
    seconds = case_time_limits(manifest, cases, oracle.metadata(oracle_dir))
    return {"preload": list(manifest.preload), "seconds": {c.name: round(seconds[c.name], 3) for c, _ in cases}}
