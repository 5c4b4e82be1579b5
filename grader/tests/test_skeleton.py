"""Every assignment has the same skeleton: knowing one means knowing all (see the root README)."""

from __future__ import annotations

import re

import pytest

from grader.layout import REPO_ROOT
from grader.manifest import load_manifest

ASSIGNMENTS = sorted(p.parent for p in REPO_ROOT.glob("assignment*/assignment.toml"))
SAME_FILES = ("pytest.ini", "tests/conftest.py", "tests/test_public.py")
PACKAGE_FILES = ("data.py", "config.py", "training.py", "train.py")
COMMON_TARGETS = ("test", "train", "data", "submit")


def test_there_are_four_assignments():
    assert [a.name for a in ASSIGNMENTS] == ["assignment1", "assignment2", "assignment3", "assignment4"]


@pytest.mark.parametrize("name", SAME_FILES)
def test_shared_files_are_the_same_in_every_assignment(name):
    texts = {a.name: (a / name).read_text() for a in ASSIGNMENTS}
    assert len(set(texts.values())) == 1, f"{name} differs between assignments"


@pytest.mark.parametrize("root", ASSIGNMENTS, ids=lambda p: p.name)
def test_package_files_and_makefile(root):
    package = root / load_manifest(root).package
    for name in PACKAGE_FILES:
        assert (package / name).is_file(), f"{package.name}/{name} missing"
    train = (package / "train.py").read_text()
    assert "trainkit" in train and "run.main(" in train, "train.py is a thin call of trainkit.run.main"
    assert "def build_model" in (package / "training.py").read_text()
    makefile = (root / "Makefile").read_text()
    assert makefile.startswith(f"# Assignment {root.name[-1]}: the same targets, in the same order")
    targets = re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M)
    assert tuple(targets[:4]) == COMMON_TARGETS, targets
    phony = re.search(r"^\.PHONY: (.*)$", makefile, flags=re.M).group(1).split()
    assert phony == targets
    for target in targets:
        assert f"#   make {target}" in makefile, f"make {target} is not in the header"
    assert "$(ARGS)" in makefile and "STAFF_PARENT" in makefile
