"""The reference is the oracle: run every case on it and keep the expected outputs.

For each case the oracle folder holds ``NAME.in.npz`` (inputs the child receives),
``NAME.secret.npz`` (inputs kept on the trusted side) and ``NAME.out.npz`` (the
reference's outputs), all made with the course's secret salt, plus ``oracle.json`` (the
reference's time and output keys per case). ``public/`` holds the same files for the public
cases made without the salt: those ship in the handout, for ``make test``. The reference runs in a child process too, in
``oracle`` mode, where each case's ``verify`` hook checks it (numerical gradients), so a
reference with a wrong gradient can never become the oracle. The folder is private
(0700): a sandboxed child cannot read it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from grader import layout
from grader.casefiles import load_cases, staff_imports
from grader.cases import Case, load_npz, save_npz
from grader.layout import (
    CHILD_RUNTIME,
    GRADER_DIR,
    LIBRARY_EXCLUDED,
    PUBLIC_DIR,
    oracle_build_dir,
    shipped_oracle,
    tree_files,
)
from grader.manifest import Manifest
from grader.runner import CaseRun, prepare_code, run_cases
from grader.sandbox import Isolation, Sandbox

ORACLE_FILE = "oracle.json"


class OracleError(RuntimeError):
    """The reference failed a case; the message holds its traceback."""


def fingerprint(manifest: Manifest, salt: str = "") -> str:
    """Hash of everything the expected outputs depend on (the salt through its own hash)."""
    h = hashlib.sha256()
    h.update(hashlib.sha256(salt.encode()).digest())
    paths = sorted((manifest.root / manifest.package).rglob("*.py"))
    paths += [p for p, _ in manifest.case_files()]
    grading = manifest.root / "grading"  # held-out data the hidden and accuracy cases read
    paths += sorted(p for p in grading.rglob("*") if p.is_file() and p.suffix != ".pyc") if grading.is_dir() else []
    paths += [GRADER_DIR / n for n in CHILD_RUNTIME]
    # The staff library the assignment packages import (copied into the child's code folder).
    paths += [p for p in tree_files(layout.TRAINKIT_DIR, skip=LIBRARY_EXCLUDED) if p.suffix == ".py"]
    for p in paths:
        h.update(str(p.relative_to(p.parents[1])).encode())
        h.update(p.read_bytes())
    h.update(np.__version__.encode())
    return h.hexdigest()


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    save_npz(path, arrays)
    os.chmod(path, 0o600)


SALT_ENV = "GRADER_SALT"


def course_salt(base: Path) -> str:
    """The course's secret salt: ``$GRADER_SALT``, else a random one kept (0600) in ``base``.

    It is mixed into the seed of every graded case's inputs. It never leaves the staff's
    machine: the autograder zip holds the inputs and outputs made with it, not the salt.
    """
    if os.environ.get(SALT_ENV):
        return os.environ[SALT_ENV]
    path = base / "salt"
    try:
        return path.read_text().strip() or _new_salt(path)
    except FileNotFoundError:
        return _new_salt(path)


def _new_salt(path: Path) -> str:
    salt = secrets.token_hex(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(salt + "\n")
    return salt


def _run_reference(
    manifest: Manifest, cases: list[Case], salt: str, dest: Path, include_hidden: bool
) -> dict[str, dict[str, Any]]:
    """Run ``cases`` on the reference with inputs from ``salt`` ("" for the public run); write
    NAME.{in,secret,out}.npz into ``dest``; returns per-case metadata (time, output keys)."""
    meta: dict[str, dict[str, Any]] = {}
    by_name = {c.name: c for c in cases}

    def keep(name: str, run: CaseRun) -> bool:
        if run.ok:
            outputs = run.outputs or {}
            _save(dest / f"{name}.out.npz", outputs)
            meta[name] = {
                "seconds": round(run.seconds or 0.0, 4),
                "keys": sorted(outputs),
                "nbytes": int(sum(a.nbytes for a in outputs.values())),
            }
            case = by_name[name]
            if case.score is not None:
                frac, msg = case.score(outputs, outputs, load_npz(dest / f"{name}.secret.npz"))
                if frac < 1.0:
                    meta[name]["error"] = f"the reference scores {frac:.2f} on its own outputs: {msg}"
        return False

    with Sandbox(manifest.limits, isolation=Isolation.TRUSTED) as sb, sb.work_folder() as work:
        inputs_dir = work.path / "inputs"
        inputs_dir.mkdir()
        with staff_imports(manifest):
            for case in cases:
                public, secret = case.build_inputs(salt)
                save_npz(inputs_dir / f"{case.name}.npz", public)
                _save(dest / f"{case.name}.in.npz", public)
                _save(dest / f"{case.name}.secret.npz", secret)
        code = work.path / "code"
        code.mkdir()
        rels = prepare_code(
            code,
            manifest.root / manifest.package,
            None,
            manifest.files,
            [p for p, _ in manifest.case_files(include_hidden)],
        )
        runs, _ = run_cases(
            sb,
            code,
            inputs_dir,
            work,
            rels,
            [c.name for c in cases],
            {c.name: 10 * (c.timeout_s or manifest.limits.case_time_limit_s) for c in cases},
            total_limit_s=10 * manifest.limits.time_limit_s,
            oracle=True,
            student_files=manifest.files,
            on_result=keep,
            preload=manifest.preload,
        )
    failed = {n: r for n, r in runs.items() if not r.ok}
    if failed:
        lines = [f"  {n}: {r.message} {r.where}\n{r.traceback}" for n, r in failed.items()]
        hint = ""
        if any("NotImplementedError" in r.message for r in failed.values()):
            hint = "\n(the package holds stubs: build the oracle from the course repository, not a handout)"
        raise OracleError("the reference fails these cases:\n" + "\n".join(lines) + hint)
    errors = [f"case {n}: {m['error']}" for n, m in meta.items() if "error" in m]
    if errors:
        raise OracleError("\n".join(errors))
    return meta


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(
        a[k].shape == b[k].shape and a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k], equal_nan=True) for k in a
    )


def build(manifest: Manifest, dest: Path, include_hidden: bool = True, salt: str | None = None) -> Path:
    """Run all cases on the reference in ``manifest.root`` and write the oracle to ``dest``.

    The graded run (``NAME.*.npz``) uses inputs drawn with the course's secret ``salt`` (and
    held-out data where a case has it); the public run (``public/NAME.*.npz``, unsalted) is
    what the handout ships. Refused: a point-bearing public case whose graded answer is the
    public one (its inputs ignore the generator), and a case whose secret labels are the same
    in both runs (an accuracy check on the handout's sample instead of held-out data).
    """
    cases = load_cases(manifest, include_hidden)
    dest = Path(dest)
    if salt is None:
        salt = course_salt(dest.parent)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True, mode=0o700)
    os.chmod(dest, 0o700)
    (dest / PUBLIC_DIR).mkdir(mode=0o700)
    public_cases = [c for c, pub in cases if pub]
    _run_reference(manifest, public_cases, "", dest / PUBLIC_DIR, include_hidden)
    graded = _run_reference(manifest, [c for c, _ in cases], salt, dest, include_hidden)

    def known_answers() -> list[Case]:
        """Point-bearing cases whose graded answer a student can know: secret labels equal to the
        unsalted run's, or a public case's expected outputs equal to the handout's."""
        with staff_imports(manifest):
            out = [
                c
                for c, _ in cases
                if c.secret and c.points > 0 and _same(c.build_inputs("")[1], load_npz(dest / f"{c.name}.secret.npz"))
            ]
        out += [
            c
            for c in public_cases
            if c.points > 0
            and c.score is None
            and _same(load_npz(dest / f"{c.name}.out.npz"), load_npz(dest / PUBLIC_DIR / f"{c.name}.out.npz"))
        ]
        return out

    # A few outputs (an accuracy over 8 rows) can equal the public ones by chance for one salt:
    # those cases are drawn again with a derived salt. Equal every time means the inputs ignore
    # the generator, or the labels are the handout's: an error.
    for attempt in range(1, 4):
        redraw = known_answers()
        if not redraw:
            break
        graded.update(_run_reference(manifest, redraw, f"{salt}#{attempt}", dest, include_hidden))
    else:
        if redraw := known_answers():
            raise OracleError(
                f"cases {[c.name for c in redraw]}: their graded answer is one a student can know: the inputs do "
                "not depend on the rng that inputs() receives, or the secret labels are the handout's (give the "
                "case graded_inputs, such as held-out data from the assignment's grading/ folder)"
            )
    meta = {
        "assignment": manifest.name,
        "fingerprint": fingerprint(manifest, salt),
        "cases": {c.name: {"public": pub, "title": c.title, "points": c.points, **graded[c.name]} for c, pub in cases},
    }
    (dest / ORACLE_FILE).write_text(json.dumps(meta, indent=1))
    return dest


def metadata(oracle_dir: Path) -> dict[str, dict[str, Any]]:
    """Per-case metadata of an oracle (reference time, output keys and bytes); {} if unreadable."""
    try:
        cases = json.loads((Path(oracle_dir) / ORACLE_FILE).read_text()).get("cases", {})
    except (OSError, ValueError):
        return {}
    return cases if isinstance(cases, dict) else {}


def cached(manifest: Manifest) -> Path:
    """The oracle for a course-repository assignment, rebuilt when its sources change."""
    base = oracle_build_dir(manifest.root)
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o700)
    dest = base / manifest.name
    meta = dest / ORACLE_FILE
    if meta.exists():
        try:
            if json.loads(meta.read_text()).get("fingerprint") == fingerprint(manifest, course_salt(base)):
                return dest
        except (OSError, ValueError):
            pass
    return build(manifest, dest)


def locate(manifest: Manifest) -> Path:
    """The shipped oracle of an autograder build (``expected/``), else the cached one."""
    shipped = shipped_oracle(manifest.root)
    if (shipped / ORACLE_FILE).exists():
        return shipped
    return cached(manifest)
