"""The reference is the oracle: run every case on it and keep the expected outputs.

For each case the oracle folder holds ``NAME.in.npz`` (inputs the child receives),
``NAME.secret.npz`` (inputs kept on the trusted side) and ``NAME.out.npz`` (the
reference's outputs), plus ``oracle.json``. The reference runs in a child process too, in
``oracle`` mode, where each case's ``verify`` hook checks it (numerical gradients), so a
reference with a wrong gradient can never become the oracle. The folder is private
(0700): a sandboxed child cannot read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from grader.cases import Case, gather_cases, load_npz, save_npz
from grader.manifest import Manifest
from grader.runner import CHILD_RUNTIME, GRADER_DIR, prepare_code, run_cases
from grader.sandbox import Sandbox

ORACLE_FILE = "oracle.json"


class OracleError(RuntimeError):
    """The reference failed a case; the message holds its traceback."""


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
    """(case, public) for the manifest's case files, public first."""
    with staff_imports(manifest):
        return gather_cases(manifest.case_files(include_hidden))


def fingerprint(manifest: Manifest) -> str:
    """Hash of everything the expected outputs depend on."""
    h = hashlib.sha256()
    paths = sorted((manifest.root / manifest.package).rglob("*.py"))
    paths += [p for p, _ in manifest.case_files()]
    paths += [GRADER_DIR / n for n in CHILD_RUNTIME]
    for p in paths:
        h.update(str(p.relative_to(p.parents[1])).encode())
        h.update(p.read_bytes())
    h.update(np.__version__.encode())
    return h.hexdigest()


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    save_npz(path, arrays)
    os.chmod(path, 0o600)


def build(manifest: Manifest, dest: Path, include_hidden: bool = True) -> Path:
    """Run all cases on the reference in ``manifest.root`` and write the oracle to ``dest``."""
    cases = load_cases(manifest, include_hidden)
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True, mode=0o700)
    os.chmod(dest, 0o700)
    work = Path(tempfile.mkdtemp(prefix="grader-oracle-"))
    try:
        inputs_dir = work / "inputs"
        inputs_dir.mkdir()
        with staff_imports(manifest):
            for case, _ in cases:
                public, secret = case.build_inputs()
                save_npz(inputs_dir / f"{case.name}.npz", public)
                _save(dest / f"{case.name}.in.npz", public)
                _save(dest / f"{case.name}.secret.npz", secret)
        code = work / "code"
        code.mkdir()
        rels = prepare_code(
            code,
            manifest.root / manifest.package,
            None,
            manifest.files,
            [p for p, _ in manifest.case_files(include_hidden)],
        )
        with Sandbox(manifest.limits, isolate=False, trusted=True) as sb:
            runs, _ = run_cases(
                sb,
                code,
                inputs_dir,
                work,
                rels,
                [c.name for c, _ in cases],
                {c.name: 10 * (c.timeout_s or manifest.limits.case_time_limit_s) for c, _ in cases},
                total_limit_s=10 * manifest.limits.time_limit_s,
                mode="oracle",
                student_files=manifest.files,
            )
        failed = {n: r for n, r in runs.items() if not r.ok}
        if failed:
            lines = [f"  {n}: {r.message} {r.where}\n{r.traceback}" for n, r in failed.items()]
            hint = ""
            if any("NotImplementedError" in r.message for r in failed.values()):
                hint = "\n(the package holds stubs: build the oracle from the course repository, not a handout)"
            raise OracleError("the reference fails these cases:\n" + "\n".join(lines) + hint)
        for case, _ in cases:
            outputs = runs[case.name].outputs or {}
            _save(dest / f"{case.name}.out.npz", outputs)
            if case.score is not None:
                secret = load_npz(dest / f"{case.name}.secret.npz")
                frac, msg = case.score(outputs, outputs, secret)
                if frac < 1.0:
                    raise OracleError(f"case {case.name}: the reference scores {frac:.2f} on its own outputs: {msg}")
        meta = {
            "assignment": manifest.name,
            "fingerprint": fingerprint(manifest),
            "cases": {c.name: {"public": pub, "title": c.title, "points": c.points} for c, pub in cases},
        }
        (dest / ORACLE_FILE).write_text(json.dumps(meta, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def cached(manifest: Manifest) -> Path:
    """The oracle for a course-repository assignment, rebuilt when its sources change."""
    base = manifest.root.parent / "build" / "oracle"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o700)
    dest = base / manifest.name
    meta = dest / ORACLE_FILE
    if meta.exists():
        try:
            if json.loads(meta.read_text()).get("fingerprint") == fingerprint(manifest):
                return dest
        except (OSError, ValueError):
            pass
    return build(manifest, dest)


def locate(manifest: Manifest) -> Path:
    """The shipped oracle of an autograder build (``expected/``), else the cached one."""
    shipped = manifest.root / "expected"
    if (shipped / ORACLE_FILE).exists():
        return shipped
    return cached(manifest)
