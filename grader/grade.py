"""Grade one submission: find its files, run the cases in the sandbox, compare, report.

This is the trusted process. It imports case files (staff code) for their metadata but
never the student's code, loads every output itself with ``allow_pickle=False``, and
always returns a Gradescope results document, whatever the child did.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import traceback
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader import gradescope, oracle
from grader.casefiles import load_cases
from grader.cases import Case, load_npz
from grader.compare import compare_outputs
from grader.layout import REPO_ROOT
from grader.manifest import Manifest
from grader.runner import CaseRun, OutputSpec, prepare_code, run_cases
from grader.sandbox import Isolation, Sandbox, interpreter_paths, probe
from grader.submission import Submission, SubmissionError, collect

REFERENCE_FACTOR = 20.0  # a case may take this many times the reference's time (within the floor and cap)


@dataclass
class Graded:
    """Results document and what the caller may want to print."""

    results: dict[str, Any]
    score: float
    max_score: float
    status: str = "graded"  # "refused": the submission cannot be read; "internal error": the grader failed
    # Per case name: the wall time the trusted side measured (cases the child finished) and the limit it gave.
    seconds: dict[str, float] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)


def hidden_paths(manifest: Manifest, oracle_dir: Path) -> list[Path]:
    """Folders the child must not see: staff folders beside the assignment and beside the
    grader package (the course repository: other assignments, .git), the oracle."""
    keep = {Path(p).resolve() for p in interpreter_paths()}
    hide: list[Path] = []
    for base in sorted({manifest.root.parent, REPO_ROOT}):
        for child in sorted(base.iterdir()):
            near = any(k == child or child in k.parents or k in child.parents for k in keep)  # grader in site-packages
            if child.is_dir() and not child.is_symlink() and not near:
                hide.append(child)
    hide.append(oracle_dir.resolve())
    hide += [Path(p).resolve() for p in os.environ.get("GRADER_HIDE", "").split(":") if p and Path(p).is_dir()]
    # A folder inside one already covered cannot be mounted over: it is gone from the child's view.
    return [h for h in sorted(set(hide)) if not any(o in h.parents for o in hide)]


def _message(run: CaseRun, missing: list[str]) -> str:
    """Why a case the child did not finish (or finished with an error) scored 0."""
    text = run.message
    if run.where:
        text += f"\n  (at {run.where})"
    if missing and ("ModuleNotFoundError" in text or "ImportError" in text):
        text += f"\n  Not found in your submission: {', '.join(missing)}."
    return text


def _score(
    case: Case, run: CaseRun, expected: dict[str, np.ndarray], secret: dict[str, np.ndarray], public: bool
) -> tuple[float, str]:
    assert run.outputs is not None
    if case.score is not None:
        try:
            frac, msg = case.score(run.outputs, expected, secret)
            frac = float(frac)
        except Exception as exc:
            return 0.0, f"could not score the outputs: {type(exc).__name__}: {exc}"
        return (min(max(frac, 0.0), 1.0) if np.isfinite(frac) else 0.0), msg
    problems = compare_outputs(run.outputs, expected, case.atol, case.rtol, reveal=public, exact_dtype=case.exact_dtype)
    if problems:
        return 0.0, "\n".join(problems[:8])
    return 1.0, ""


def grade(
    manifest: Manifest,
    submission: Path | None,
    student_files: dict[str, bytes] | None = None,
    oracle_dir: Path | None = None,
    isolate: bool | None = None,
    fail_fast: bool = False,
    only: Collection[str] | None = None,
) -> Graded:
    """Grade a zip or folder ``submission`` (or ready ``student_files``); never raises.

    With ``fail_fast`` grading stops at the first case that loses points (for ``check``,
    which only needs to know whether a mutant is caught). ``only`` (case names) grades those
    cases alone, in file order: the results list just them and the maximum is their points
    (staff tests of a few functions; an unknown name is an internal error).
    """
    start = time.monotonic()
    try:
        return _grade(manifest, submission, student_files, oracle_dir, isolate, start, fail_fast, only)
    except SubmissionError as exc:
        doc = gradescope.failure(str(exc), time.monotonic() - start)
        status = "refused"
    except Exception as exc:
        detail = "".join(traceback.format_exception_only(exc)).strip()
        print(traceback.format_exc(), file=sys.stderr)
        doc = gradescope.failure(f"{INTERNAL_ERROR} ({detail}); please tell the course staff", time.monotonic() - start)
        status = "internal error"
    return Graded(doc, 0.0, manifest.total_points, status)


INTERNAL_ERROR = "internal error of the grader"


def status_of(results: dict[str, Any]) -> str:
    """graded / refused / internal error, read back from a results document ``grade`` wrote."""
    if results.get("tests"):
        return "graded"
    return "internal error" if INTERNAL_ERROR in str(results.get("output", "")) else "refused"


def case_time_limits(manifest: Manifest, cases: list[tuple[Case, bool]], meta: dict[str, Any]) -> dict[str, float]:
    """Each case's wall-clock limit: what the case declares, else ``REFERENCE_FACTOR`` times the
    reference's own time on it (from the oracle), at least the manifest's floor and at most its
    per-case limit. So a submission that loops everywhere costs about the floor per case."""
    limits = manifest.limits
    out = {}
    for case, _ in cases:
        seconds = meta.get(case.name, {}).get("seconds")
        if case.timeout_s is not None:
            out[case.name] = float(case.timeout_s)
        elif isinstance(seconds, int | float) and seconds >= 0:
            out[case.name] = min(limits.case_time_limit_s, max(limits.case_time_floor_s, REFERENCE_FACTOR * seconds))
        else:
            out[case.name] = limits.case_time_limit_s
    return out


def output_specs(cases: list[tuple[Case, bool]], meta: dict[str, Any]) -> dict[str, OutputSpec]:
    """What may be read of each case's outputs: the reference's keys, and a few times its bytes."""
    specs = {}
    for case, _ in cases:
        info = meta.get(case.name, {})
        keys = info.get("keys")
        nbytes = info.get("nbytes", 0)
        specs[case.name] = OutputSpec(
            keys=tuple(keys) if isinstance(keys, list) else None,
            max_bytes=max(8 << 20, 4 * int(nbytes) + (1 << 20)),
        )
    return specs


def _grade(
    manifest: Manifest,
    submission: Path | None,
    student_files: dict[str, bytes] | None,
    oracle_dir: Path | None,
    isolate: bool | None,
    start: float,
    fail_fast: bool = False,
    only: Collection[str] | None = None,
) -> Graded:
    oracle_dir = oracle_dir or oracle.locate(manifest)
    meta = oracle.metadata(oracle_dir)
    cases = load_cases(manifest)
    if only is not None:
        unknown = sorted(set(only) - {c.name for c, _ in cases})
        if unknown:
            raise ValueError(f"no such case in {manifest.name}: {', '.join(unknown)}")
        cases = [(c, pub) for c, pub in cases if c.name in only]
    limits = case_time_limits(manifest, cases, meta)
    seconds: dict[str, float] = {}
    by_name = {c.name: (c, pub) for c, pub in cases}
    judged: dict[str, tuple[float, str]] = {}
    missing: list[str] = []

    def judge(name: str, run: CaseRun) -> bool:
        """Score one case the moment it ends (its arrays are dropped after); True stops grading
        when ``fail_fast``. Whatever goes wrong here costs this case only."""
        case, public = by_name[name]
        if run.seconds is not None:
            seconds[name] = run.seconds
        try:
            if run.ok:
                expected = load_npz(oracle_dir / f"{name}.out.npz")
                secret = load_npz(oracle_dir / f"{name}.secret.npz")
                judged[name] = _score(case, run, expected, secret, public)
            else:
                judged[name] = (0.0, _message(run, missing))
        except Exception as exc:
            print(traceback.format_exc(), file=sys.stderr)
            judged[name] = (0.0, f"internal error of the grader while scoring this case ({type(exc).__name__})")
        return fail_fast and judged[name][0] < 1.0

    isolation = Isolation.default() if isolate is None else (Isolation.FULL if isolate else Isolation.PLAIN)
    hide = hidden_paths(manifest, oracle_dir) if isolation is Isolation.FULL else ()
    with Sandbox(manifest.limits, hide, isolation) as sb:
        probe(sb, sys.executable)
        with sb.work_folder() as work:
            if student_files is not None:
                sub = Submission(
                    files=dict(student_files), missing=[f for f in manifest.files if f not in student_files]
                )
            else:
                assert submission is not None
                scratch = work.path / "submission"
                scratch.mkdir(mode=0o700)
                sub = collect(manifest, Path(submission), scratch)
                shutil.rmtree(scratch, ignore_errors=True)
            missing.extend(sub.missing)  # judge() names them when an import fails
            code = work.path / "code"
            code.mkdir()
            rels = prepare_code(
                code,
                manifest.root / manifest.package,
                sub.files,
                manifest.files,
                [p for p, _ in manifest.case_files()],
            )
            inputs = work.path / "inputs"
            inputs.mkdir()
            for case, _ in cases:
                shutil.copyfile(oracle_dir / f"{case.name}.in.npz", inputs / f"{case.name}.npz")
            os.chmod(inputs, 0o755)
            for f in inputs.iterdir():
                os.chmod(f, 0o644)
            order = [c.name for c, _ in cases]
            if fail_fast:  # cases that declare a longer limit than the default are slow: run them last
                order.sort(key=lambda n: (by_name[n][0].timeout_s or 0) > manifest.limits.case_time_limit_s)
            _, procs = run_cases(
                sb,
                code,
                inputs,
                work,
                rels,
                order,
                limits,
                manifest.limits.time_limit_s,
                student_files=manifest.files,
                on_result=judge,
                outputs=output_specs(cases, meta),
                preload=manifest.preload,
            )
    tests: list[gradescope.TestResult] = []
    for number, (case, public) in enumerate(cases, start=1):
        frac, msg = judged.get(case.name, (0.0, "not run"))
        status = "passed" if frac >= 1.0 else ("partly passed" if frac > 0 else "failed")
        tests.append(
            gradescope.TestResult(
                name=case.title,
                number=str(number),
                score=case.points * frac,
                max_score=case.points,
                output=f"{status}{': ' + msg if msg else ''}" if msg or frac < 1.0 else "passed",
                visibility="visible" if public else manifest.hidden_visibility,
                tags=["public" if public else "hidden", case.name],
            )
        )
    lines = [manifest.title]
    if sub.missing:
        lines.append("Missing from your submission (the tests that need them score 0): " + ", ".join(sub.missing))
        lines.append(f"Expected files: {', '.join(manifest.files)} (anywhere in the zip).")
    lines += sub.notes
    printed = "".join(r.output for r in procs)
    dropped = sum(r.output_dropped for r in procs)
    if printed.strip():
        lines.append(f"Your code printed {len(printed) + dropped} characters (harmless); the first ones:")
        lines.append(printed[:1500])
    doc = gradescope.results(tests, "\n".join(lines), time.monotonic() - start)
    return Graded(doc, doc["score"], sum(t.max_score for t in tests), seconds=seconds, limits=limits)


def report_lines(graded: Graded) -> list[str]:
    """Each test as ``PASS``/``FAIL``, points and name (a failure's message indented under it),
    then the results' output: what ``grade`` prints."""
    lines = []
    for t in graded.results["tests"]:
        mark = "PASS" if t["status"] == "passed" else "FAIL"
        lines.append(f"{mark} {t['score']:5g}/{t['max_score']:<4g} {t['name']}")
        if t["status"] != "passed":
            lines.append("      " + t["output"].replace("\n", "\n      ")[:600])
    lines.append(graded.results["output"][:2000])
    return lines


def time_lines(graded: Graded) -> list[str]:
    """Each case's wall time against its limit, with its points: ``grade --times``."""
    by_name = {t["tags"][1]: t for t in graded.results["tests"]}
    lines = [f"{'case':<44} {'points':>11} {'seconds':>8} {'limit':>7}"]
    for name, limit in graded.limits.items():
        t = by_name[name]
        took = graded.seconds.get(name)
        shown = "-" if took is None else f"{took:.3f}"
        lines.append(f"{name:<44} {t['score']:>5g}/{t['max_score']:<5g} {shown:>8} {limit:>7.3f}")
    return lines


def grade_command(
    manifest: Manifest,
    submission: Path,
    results_path: Path,
    quiet: bool = False,
    only: Collection[str] | None = None,
    times: bool = False,
) -> int:
    """The ``grade`` command: grade ``submission``, write the results to ``results_path``, print
    a report (``quiet``: only why it was not graded); exit status 0 graded, 2 refused, 3 internal error.
    ``only``: grade these cases alone; ``times``: also print each case's time against its limit."""
    graded = grade(manifest, submission, only=only)
    gradescope.write(results_path, graded.results)
    if not quiet:
        print("\n".join(report_lines(graded)))
    if times and graded.status == "graded":
        print("\n".join(time_lines(graded)))
    if graded.status != "graded":
        if quiet:
            print(graded.results["output"], file=sys.stderr)
        print(f"not graded ({graded.status}); results written to {results_path}")
        return 2 if graded.status == "refused" else 3
    print(f"score: {graded.score:g}/{graded.max_score:g}; results written to {results_path}")
    return 0
