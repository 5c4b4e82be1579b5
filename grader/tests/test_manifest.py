"""The manifest is validated: unknown keys and bad values are errors that name them."""

import shutil
from pathlib import Path

import pytest

from grader.manifest import load_manifest

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"


def test_toy_manifest_loads():
    """Does the toy manifest give its limits and files?"""
    m = load_manifest(TOY)
    assert m.files == ("toy_pkg/ops.py",) and m.limits.case_time_limit_s == 5 and m.total_points == 6


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("[grading]", "[grading]\ntime_limt_s = 3"), "unknown keys"),
        (("memory_mb = 512", 'memory_mb = "512"'), "memory_mb must be int"),
        (("memory_mb = 512", "memory_mb = -1"), "must be positive"),
        (('files = ["toy_pkg/ops.py"]', 'files = ["../evil.py"]'), "relative path with a suffix"),
        (('files = ["toy_pkg/ops.py"]', 'files = ["toy_pkg/nope.py"]'), "does not exist"),
    ],
)
def test_bad_manifest_is_refused(tmp_path, edit, message):
    """Is each kind of mistake refused with a message naming it?"""
    dest = tmp_path / "toy"
    shutil.copytree(TOY, dest)
    text = (dest / "assignment.toml").read_text()
    assert edit[0] in text
    (dest / "assignment.toml").write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(ValueError, match=message):
        load_manifest(dest)
