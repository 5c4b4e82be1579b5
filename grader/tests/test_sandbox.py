"""Sandbox set-up: cases where the machine's layout, not the student, could break grading."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy
import pytest

from grader.check import reference_files
from grader.manifest import load_manifest

TOY = Path(__file__).resolve().parent / "fixtures" / "toy"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(os.geteuid() != 0, reason="the private /tmp exists only in the full sandbox")
@pytest.mark.parametrize(("parent", "mode"), [("/tmp", 0o755), ("/run", 0o700)], ids=["under-tmp", "in-a-0700-folder"])
def test_grading_works_wherever_the_interpreter_lives(tmp_path, parent, mode):
    """With the venv under /tmp (a fresh clone there) or in a folder the sandbox user cannot enter (a clone under
    /root), does the child still start Python?"""
    base = Path(tempfile.mkdtemp(prefix="grader-venv-", dir=parent))
    try:
        os.chmod(base, mode)
        venv = base / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        site = next(venv.glob("lib/python*/site-packages"))
        src = Path(numpy.__file__).parent
        shutil.copytree(src, site / "numpy")
        if (src.parent / "numpy.libs").exists():
            shutil.copytree(src.parent / "numpy.libs", site / "numpy.libs")
        sub = tmp_path / "sub"
        sub.mkdir()
        (sub / "ops.py").write_bytes(reference_files(load_manifest(TOY))["toy_pkg/ops.py"])
        out = tmp_path / "results.json"
        env = {"PATH": os.environ["PATH"], "GRADER_STRICT": "1", "PYTHONPATH": str(ROOT)}
        proc = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "grader", "grade", str(TOY), str(sub), "--results", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        doc = json.loads(out.read_text())
        assert doc["score"] == 6, proc.stdout[-2000:] + proc.stderr[-2000:]
    finally:
        shutil.rmtree(base, ignore_errors=True)
