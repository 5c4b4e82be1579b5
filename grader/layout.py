"""Where things sit: the repository, the grader, a handout and an autograder build.

Every other module asks here; nothing else defines these paths or names. Standard library
only, so that a handout (which carries this module) needs nothing more.

    <root>/                     the course repository, a handout, or an autograder build
      grader/                   GRADER_DIR (a handout holds only the student-side modules)
      trainkit/                 TRAINKIT_DIR, the staff library; copied without its tests
      assignmentN/              an assignment (a handout is one, at the root)
        tests/expected/         baked public expected values (a handout; ``baked_expected``)
        expected/               the oracle an autograder build ships (``shipped_oracle``)
      build/oracle/<name>/      the oracle built in the course repository (``oracle_build_dir``)
        public/                 PUBLIC_DIR: the unsalted run of the public cases
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

GRADER_DIR = Path(__file__).resolve().parent
REPO_ROOT = GRADER_DIR.parent  # the course repository, or the root of a handout or an autograder build
TRAINKIT_DIR = REPO_ROOT / "trainkit"
TEMPLATES_DIR = GRADER_DIR / "templates"
REQUIREMENTS = REPO_ROOT / "requirements.txt"

EXPECTED_DIR = "expected"  # a handout's tests/expected/, an autograder build's <assignment>/expected/
PUBLIC_DIR = "public"  # inside an oracle: the unsalted run of the public cases, what the handout ships
LIMITS_FILE = "limits.json"  # in a handout's tests/expected/: {"preload": [...], "seconds": {case: s}}

# Never copied into a handout or an autograder build (nor trainkit/ into the child's code folder),
# whatever a source folder holds; hidden folders neither.
EXCLUDED_DIRS = frozenset(
    {"grading", "expected", "__pycache__", ".pytest_cache", ".ruff_cache", "runs", "build", "full"}
)
EXCLUDED_SUFFIXES = frozenset({".pyc", ".pyo", ".zip"})
# Folders of a library package (grader/, trainkit/) that stay in the repository.
LIBRARY_EXCLUDED = frozenset({"tests"})

# What the sandboxed child imports of the grader: copied into its code folder (runner.prepare_code).
CHILD_RUNTIME = ("__init__.py", "cases.py", "gradcheck.py", "child.py")

# The grader modules a student uses directly: ``make test`` runs the public tests (grader.public;
# tests/cases.py imports grader.cases, grader.compare and grader.gradcheck, which the READMEs
# also point students to); ``make submit`` runs ``python -m grader submit``. A handout carries
# these and their import closure (handout.student_modules), nothing else of the grader.
STUDENT_ENTRIES = ("grader.__main__", "grader.public", "grader.cases", "grader.compare", "grader.gradcheck")
# An import statement carrying this comment is staff-side: a handout does not follow it (the
# staff commands of the command line, the course repository's fallbacks in grader.public).
STAFF_ONLY = "# staff-only"


def oracle_build_dir(assignment_root: Path) -> Path:
    """Where the course repository keeps its built oracles: ``build/oracle`` beside the assignments."""
    return Path(assignment_root).parent / "build" / "oracle"


def shipped_oracle(assignment_root: Path) -> Path:
    """The oracle an autograder build ships inside the assignment (absent in the repository)."""
    return Path(assignment_root) / EXPECTED_DIR


def baked_expected(tests_dir: Path) -> Path:
    """A handout's baked public expected values and limits, beside its public tests."""
    return Path(tests_dir) / EXPECTED_DIR


def tree_files(root: Path, skip: frozenset[str] = frozenset()) -> list[Path]:
    """Regular files under ``root`` that a build copies, sorted: no excluded folder or suffix, no
    hidden folder, no symlink; ``skip`` names more folders to leave out."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS | skip and not d.startswith("."))
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            if p.suffix not in EXCLUDED_SUFFIXES and not p.is_symlink():
                out.append(p)
    return out


def copy_library(src: Path, dest: Path) -> None:
    """Copy a library package (``trainkit/``) to ``dest``, without its tests and caches;
    nothing when ``src`` does not exist."""
    for path in tree_files(src, skip=LIBRARY_EXCLUDED):
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
