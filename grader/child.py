"""The child side of grading: run cases on student (or reference) code, write files.

Started by ``runner.run_cases`` as ``python -P -s -B CODE/grader/child.py JOB.json``, in a
sandbox (see ``grader/sandbox/``), from the copy of the child runtime (``layout.CHILD_RUNTIME``)
that ``runner.prepare_code`` puts into the job's code folder CODE: ``-P`` keeps the working
folder off ``sys.path`` (the code folder is put first instead), ``-s`` the user's
site-packages, ``-B`` writes no ``.pyc``. It is the only place where student code is imported.

JOB.json holds ``code_dir``, ``out_dir``, ``inputs_dir``, ``case_files`` (the public one
first), ``cases`` (names, in order), ``oracle`` (true when the reference runs for the oracle:
each case's ``verify`` hook runs and a failure keeps its traceback), ``student_files``
(to name the student's frame in an error), ``preload``, ``preload_student`` and ``cwd`` (the
child's home).

It first imports the ``preload`` modules (torch: start-up time is not a case's time) and,
with ``preload_student``, the modules of the student's files (what they import and their
compilation are no case's time either: a correct file that imports matplotlib or torch must
not spend a quick case's limit on it; an import that fails here fails again, with its
message, in the case that needs it), then for each case appends ``start NAME`` to
``out_dir/progress``, writes ``NAME.npz`` (outputs, plain arrays) and ``NAME.json`` (status,
error message), and appends ``done NAME``. Nothing it writes is trusted: the parent keeps
the clock, reads each case's files once when its ``done`` line appears, with bounds, and
compares them itself. Uses only the standard library, NumPy and ``grader.cases``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from pathlib import Path


def _describe(exc: BaseException, student_files: list[str], max_message: int) -> dict[str, str]:
    """Exception type and message (at most ``max_message`` characters), and the deepest frame in a student file."""
    try:
        message = str(exc)
    except Exception:
        message = "<message could not be printed>"
    where = ""
    try:
        for frame in traceback.extract_tb(exc.__traceback__):
            if any(frame.filename.endswith(f) for f in student_files):
                where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}"
    except Exception:
        pass
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return {"error": text[:max_message], "where": where[:200]}


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text())
    code_dir = Path(job["code_dir"])
    out_dir = Path(job["out_dir"])
    inputs_dir = Path(job["inputs_dir"])
    sys.path.insert(0, str(code_dir))
    os.chdir(job.get("cwd") or code_dir)

    from grader.cases import MAX_MESSAGE, load_case_files, load_npz, save_npz, to_arrays

    # Keep our own handles: student code may monkey-patch numpy or builtins. That can only
    # spoil its own outputs, which the parent checks anyway.
    savez, dumps, replace = save_npz, json.dumps, os.replace
    progress = open(out_dir / "progress", "a", buffering=1)  # noqa: SIM115 - open for the whole run

    for module in job.get("preload", []):
        with contextlib.suppress(Exception):  # the case that needs it reports the error
            __import__(module)

    cases = {}
    for loaded in load_case_files([code_dir / rel for rel in job["case_files"]]):  # public first
        for case in loaded:
            cases[case.name] = case

    if job.get("preload_student") is True:
        for rel in job.get("student_files", []):
            if isinstance(rel, str) and rel.endswith(".py"):
                with contextlib.suppress(Exception):
                    __import__(rel[:-3].replace("/", "."))

    oracle = job.get("oracle") is True
    for name in job["cases"]:
        progress.write(f"start {name}\n")
        case = cases.get(name)
        status: dict[str, object] = {"status": "ok"}
        try:
            if case is None:
                raise KeyError(f"no case named {name!r}")
            inputs = load_npz(inputs_dir / f"{name}.npz")
            result = case.run(**inputs, **dict(case.params))
            arrays = to_arrays(result)
            if oracle and case.verify is not None:
                case.verify(inputs, arrays)
            tmp = out_dir / f".{name}.tmp.npz"
            savez(tmp, arrays)
            replace(tmp, out_dir / f"{name}.npz")
        except SystemExit as exc:
            status = {"status": "error", "error": f"the code called sys.exit({exc.code!r})", "where": ""}
        except BaseException as exc:
            status = {"status": "error", **_describe(exc, job.get("student_files", []), MAX_MESSAGE)}
            if oracle:
                status["traceback"] = "".join(traceback.format_exception(exc))[-8000:]
        tmp = out_dir / f".{name}.tmp.json"
        tmp.write_text(dumps(status))
        replace(tmp, out_dir / f"{name}.json")
        progress.write(f"done {name}\n")
    progress.close()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # not sys.exit: a thread the student's code left running must not keep us alive
