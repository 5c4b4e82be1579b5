"""The child side of grading: run cases on student (or reference) code, write files.

Started as ``python -P -s -B grader/child.py JOB.json`` from a copy of this package inside
the job's code folder, in a sandbox (see grader/sandbox/). It is the only place where student
code is imported. It first imports the job's ``preload`` modules (torch: start-up time is
not a case's time), then for each case appends ``start NAME`` to the progress file, writes
``NAME.npz`` (outputs, plain arrays) and ``NAME.json`` (status, error message), and appends
``done NAME``. Nothing it writes is trusted: the parent keeps the clock, reads each case's
files once when its ``done`` line appears, with bounds, and compares them itself. Uses only
the standard library and NumPy.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from pathlib import Path

MAX_MESSAGE = 2000


def _describe(exc: BaseException, student_files: list[str]) -> dict[str, str]:
    """Exception type and message, and the deepest frame in a student file."""
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
    return {"error": text[:MAX_MESSAGE], "where": where[:200]}


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text())
    code_dir = Path(job["code_dir"])
    out_dir = Path(job["out_dir"])
    inputs_dir = Path(job["inputs_dir"])
    sys.path.insert(0, str(code_dir))
    os.chdir(job.get("cwd") or code_dir)

    from grader.cases import load_case_files, load_npz, save_npz, to_arrays

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

    oracle = job.get("mode") == "oracle"
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
            status = {"status": "error", **_describe(exc, job.get("student_files", []))}
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
