"""Public tests: the grader's public cases and comparisons, run in-process with pytest.

An assignment's ``tests/test_public.py`` is three lines that call into here, and its
``tests/conftest.py`` imports the hooks below (the points summary). In a handout the
expected values and each case's time limit come from ``tests/expected/`` (baked in by the
release); in the course repository they come from the oracle, built from the reference.
Either way the check is the one the autograder makes, so what passes here passes there:
the same comparison, and the same time limit per case (``grade.case_time_limits``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from grader.cases import PUBLIC_MODULE, Case, load_case_module, load_npz, to_arrays
from grader.compare import compare_outputs
from grader.layout import LIMITS_FILE, PUBLIC_DIR, baked_expected
from grader.manifest import load_manifest

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is in the requirements
    pytest = None

# Multiplies every limit on a slow or busy machine (the autograder's own limits never change).
SCALE_ENV = "GRADER_TIME_SCALE"


def public_cases(tests_dir: Path) -> list[Case]:
    """The cases of ``tests_dir/cases.py``."""
    return load_case_module(Path(tests_dir) / "cases.py", PUBLIC_MODULE)


@cache
def _expected_dir(tests_dir: Path) -> Path:
    """The public expected values: baked into a handout, else (the course repository) the oracle's public run."""
    baked = baked_expected(tests_dir)
    if baked.is_dir():
        return baked
    from grader import oracle  # staff-only: a handout has its values baked in

    return oracle.cached(load_manifest(tests_dir.parent)) / PUBLIC_DIR


class PublicLimits(NamedTuple):
    """How the public cases of one tests folder run: as the grader runs them."""

    preload: tuple[str, ...]  # modules imported before the first case, so their start-up is no case's time
    seconds: dict[str, float]  # case name -> wall-clock limit; a case not named runs unlimited


@cache
def _limits(tests_dir: Path) -> PublicLimits:
    """The preload and time limits of the public cases of ``tests_dir``: baked into a handout,
    else (the course repository) the grader's own, from the oracle."""
    baked = baked_expected(tests_dir) / LIMITS_FILE
    if baked.is_file():
        doc = json.loads(baked.read_text())
    elif baked_expected(tests_dir).is_dir():
        return PublicLimits((), {})  # an older handout: no limits baked in
    else:
        from grader import oracle  # staff-only: a handout has its limits baked in
        from grader.handout import limits_document  # staff-only

        manifest = load_manifest(tests_dir.parent)
        doc = limits_document(manifest, oracle.cached(manifest))
    return PublicLimits(tuple(doc.get("preload", ())), {k: float(v) for k, v in doc.get("seconds", {}).items()})


def time_scale() -> float:
    """``$GRADER_TIME_SCALE`` (default 1): how many times the grader's limit a case may take here."""
    raw = os.environ.get(SCALE_ENV, "").strip()
    try:
        scale = float(raw) if raw else 1.0
    except ValueError:
        raise ValueError(f"{SCALE_ENV}: expected a number such as 3, got {raw!r}") from None
    if not scale > 0:
        raise ValueError(f"{SCALE_ENV}: expected a number above 0, got {raw!r}")
    return scale


class CaseTimeout(BaseException):
    """A case ran past its time limit. A BaseException, so that ``except Exception`` in the
    code under test does not swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Raise CaseTimeout in the main thread once ``seconds`` of wall time have passed.

    SIGALRM interrupts Python code (a loop that never ends) at its next bytecode; one long
    call into C (a huge matrix product) is stopped when it returns. Without a main thread or
    SIGALRM (Windows) the case runs unlimited.
    """
    main = threading.current_thread() is threading.main_thread()
    if seconds is None or not main or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):  # type: ignore[no-untyped-def]
        raise CaseTimeout(f"ran past its time limit of {seconds:g} s ({what}) and was stopped")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _where(exc: BaseException, root: Path, tests_dir: Path, code: bool = True) -> list[str]:
    """The frames of ``exc`` in the student's code (the assignment folder, not tests/), last 4,
    with their source line when ``code``."""
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        theirs = path.is_relative_to(root) and not path.is_relative_to(root / "grader")
        if theirs and not path.is_relative_to(tests_dir):
            text = f": {frame.line.strip()}" if frame.line and code else ""
            lines.append(f"at {path.relative_to(root).as_posix()}:{frame.lineno} in {frame.name}{text}")
    return lines[-4:]


def describe_error(exc: BaseException, root: Path, tests_dir: Path) -> str:
    """The exception's type and message first, then where in the student's code it was raised."""
    text = str(exc).strip()
    head = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if len(head) > 2000:
        head = head[:2000] + " ..."
    return "\n  ".join([head, *_where(exc, root, tests_dir)])


@dataclass
class _Outcome:
    case: Case
    passed: bool = False


# tests folder -> case name -> outcome, for the summary at the end of the run.
_OUTCOMES: dict[Path, dict[str, _Outcome]] = {}


def check_case(tests_dir: Path, case: Case) -> None:
    """Run ``case`` on the code on ``sys.path`` and fail the test with the grader's message."""
    tests_dir = Path(tests_dir).resolve()
    outcome = _OUTCOMES.setdefault(tests_dir, {}).setdefault(case.name, _Outcome(case))
    outcome.passed = False
    expected_dir = _expected_dir(tests_dir)
    limits = _limits(tests_dir)
    for module in limits.preload:  # as the grader does: importing torch is no case's time
        with contextlib.suppress(Exception):
            __import__(module)
    inputs = load_npz(expected_dir / f"{case.name}.in.npz")
    failure = None
    # The failure is reported outside the except blocks, so that pytest prints one message,
    # not the stub's exception and "During handling of the above exception, ..." after it.
    try:
        scale = time_scale()
        limit = limits.seconds.get(case.name)
        what = "the autograder's for this case" if scale == 1 else f"{scale:g} times the autograder's"
        with time_limit(None if limit is None else limit * scale, what):
            result = case.run(**inputs, **dict(case.params))
    except NotImplementedError as exc:
        failure = str(exc) if "not implemented" in str(exc) else f"not implemented yet: {exc}".rstrip(": ")
        failure = "\n  ".join([failure, *_where(exc, tests_dir.parent, tests_dir, code=False)])
    except CaseTimeout as exc:
        hint = f"(on a slow or busy machine, {SCALE_ENV}=3 make test allows 3 times as long; the autograder does not)"
        failure = "\n  ".join([f"case {case.name} {exc}", *_where(exc, tests_dir.parent, tests_dir), hint])
    except Exception as exc:
        failure = describe_error(exc, tests_dir.parent, tests_dir)
    if failure is None:
        try:
            got = to_arrays(result)
        except TypeError as exc:
            failure = str(exc)
    if failure is not None:
        pytest.fail(f"{case.title}\n  {failure}", pytrace=False)
    expected = load_npz(expected_dir / f"{case.name}.out.npz")
    if case.score is not None:
        frac, msg = case.score(got, expected, load_npz(expected_dir / f"{case.name}.secret.npz"))
        if frac < 1.0:
            pytest.fail(f"{case.title}: scored {frac:.2f} of the points: {msg}", pytrace=False)
        outcome.passed = True
        return
    problems = compare_outputs(got, expected, case.atol, case.rtol, reveal=True, exact_dtype=case.exact_dtype)
    if problems:
        pytest.fail(f"{case.title}\n  " + "\n  ".join(problems), pytrace=False)
    outcome.passed = True


def summary_lines() -> list[str]:
    """Per assignment whose public cases ran: cases passed and public points, in all and per
    file of the student's code (the file each case imports last)."""
    lines = []
    for tests_dir, outcomes in sorted(_OUTCOMES.items()):
        per_file: dict[str, list[_Outcome]] = {}
        for outcome in outcomes.values():
            per_file.setdefault(tested_file(outcome.case) or "other", []).append(outcome)
        everything = list(outcomes.values())
        lines.append(f"public cases of {_assignment_name(tests_dir)}: {_tally(everything)}")
        for name in sorted(per_file):
            lines.append(f"  {name:28s} {_tally(per_file[name])}")
    return lines


def _assignment_name(tests_dir: Path) -> str:
    """The manifest's title (a handout's folder may have any name)."""
    try:
        return load_manifest(tests_dir.parent).title
    except Exception:
        return tests_dir.parent.name


def _tally(outcomes: list[_Outcome]) -> str:
    passed = sum(o.passed for o in outcomes)
    points = sum(o.case.points for o in outcomes if o.passed)
    total = sum(o.case.points for o in outcomes)
    return f"{passed} of {len(outcomes)} cases pass, {points:g} of {total:g} public points"


def tested_file(case: Case) -> str | None:
    """The student module a case's ``run`` imports last (``mnist_mlp/functional.py``), looked
    for in ``run`` and then in the helpers it calls; None when it imports none."""
    seen: set[int] = set()

    def modules(fn, depth: int) -> list[str]:  # type: ignore[no-untyped-def]
        code = getattr(fn, "__code__", None)
        if code is None or id(code) in seen or depth > 2:
            return []
        seen.add(id(code))
        found = [m for m in _imported_modules(code) if not m.startswith(("grader", "numpy", "torch"))]
        if found:
            return found
        g = getattr(fn, "__globals__", {})
        out: list[str] = []
        for name in code.co_names:
            if callable(g.get(name)):
                out += modules(g[name], depth + 1)
        return out

    found = modules(case.run, 0)
    return found[-1].replace(".", "/") + ".py" if found else None


def _imported_modules(code) -> list[str]:  # type: ignore[no-untyped-def]
    """Submodules a code object imports, in order: ``from pkg.mod import f`` and ``import
    pkg.mod`` give ``pkg.mod``; ``from pkg import mod`` gives it when ``pkg.mod`` is a module."""
    import dis
    import importlib.util

    out: list[str] = []
    current = None
    for ins in dis.get_instructions(code):
        if ins.opname == "IMPORT_NAME":
            current = str(ins.argval)
            if "." in current:
                out.append(current)
        elif ins.opname == "IMPORT_FROM" and current and "." not in current:
            candidate = f"{current}.{ins.argval}"
            try:
                if importlib.util.find_spec(candidate) is not None:
                    out.append(candidate)
            except (ImportError, ValueError, AttributeError):
                pass
    return out


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """pytest hook (imported by an assignment's ``tests/conftest.py``): the points summary,
    after pytest's own (failures, short summary), so that it ends the output."""
    result = yield
    if getattr(config, "_public_points_shown", False):  # one conftest per assignment imports this hook
        return result
    config._public_points_shown = True
    lines = summary_lines()
    if lines:
        terminalreporter.write_sep("-", "public points")
        for line in lines:
            terminalreporter.write_line(line)
    return result


if pytest is not None:
    pytest_terminal_summary = pytest.hookimpl(wrapper=True, tryfirst=True)(pytest_terminal_summary)
