"""Command line of the grader: ``python -m grader COMMAND ...``.

Staff commands (course repository):
    release ASSIGNMENT --out DIR          build the student handout
    autograder ASSIGNMENT --out FILE.zip  build the Gradescope autograder zip
    grade ASSIGNMENT SUBMISSION --results FILE
                                          grade one zip or folder; write Gradescope's results.json
                                          (--case NAME: only that case, repeatable; --times: each case's time)
    check ASSIGNMENT                      reference full, stubs zero, mutants caught
    batch ASSIGNMENT FOLDER --csv FILE    grade a folder of submissions to a CSV
    cases ASSIGNMENT                      list every case: public/hidden, points, time limit, title
    preview RESULTS.json                  what a student sees of a results file, now and once published
    demo ASSIGNMENT                       handout, autograder zip, and that zip run on the reference and stubs
    bench ASSIGNMENT                      time grading in-process, in a child, and in the full sandbox
Student command (also in a handout, as ``make submit``):
    submit ASSIGNMENT                     check the files against the manifest and write the zip to upload

This module only parses arguments and dispatches to the modules that do the work. A
handout carries the student side of the grader only: the staff commands' modules are
imported when a command runs (the imports marked ``# staff-only``, written ``from grader.x
import ...`` so that a missing module is named), and in a handout those commands say that
they are not there.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.layout import GRADER_DIR, REPO_ROOT
from grader.manifest import Manifest, load_manifest


def _assignment(arg: str) -> Manifest:
    """The manifest of ``arg``: a folder, or an assignment's name in the course repository."""
    path = Path(arg)
    if not (path / "assignment.toml").exists() and (REPO_ROOT / arg / "assignment.toml").exists():
        path = REPO_ROOT / arg
    try:
        return load_manifest(path)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"grader: {exc}") from None


def cmd_release(args: argparse.Namespace) -> int:
    from grader.handout import release  # staff-only

    out = release(_assignment(args.assignment), Path(args.out))
    print(f"handout written to {out}")
    return 0


def cmd_autograder(args: argparse.Namespace) -> int:
    from grader.autograder import build  # staff-only

    out = build(_assignment(args.assignment), Path(args.out))
    print(f"autograder zip written to {out} ({out.stat().st_size // 1024} KB)")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from grader.grade import grade_command  # staff-only

    return grade_command(
        _assignment(args.assignment),
        Path(args.submission),
        Path(args.results),
        quiet=args.quiet,
        only=args.case or None,
        times=args.times,
    )


def cmd_check(args: argparse.Namespace) -> int:
    from grader.check import format_report, run_check  # staff-only

    manifest = _assignment(args.assignment)
    report = run_check(manifest, workers=args.workers, limit=args.limit)
    print(format_report(manifest, report))
    return 0 if report.ok else 1


def cmd_batch(args: argparse.Namespace) -> int:
    from grader.batch import batch_command  # staff-only

    return batch_command(
        _assignment(args.assignment),
        Path(args.submissions),
        Path(args.csv),
        jobs=args.jobs,
        regrade=tuple(args.regrade),
        restart=args.restart,
    )


def cmd_submit(args: argparse.Namespace) -> int:
    from grader.submit import submit

    return submit(_assignment(args.assignment), Path(args.out), run_tests=args.tests)


def cmd_cases(args: argparse.Namespace) -> int:
    from grader.casefiles import case_table, load_cases  # staff-only
    from grader.grade import REFERENCE_FACTOR, case_time_limits  # staff-only
    from grader.oracle import locate, metadata  # staff-only

    manifest = _assignment(args.assignment)
    cases = load_cases(manifest)
    limits = case_time_limits(manifest, cases, metadata(locate(manifest)))
    print(case_table(manifest, cases, limits, REFERENCE_FACTOR))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from grader.preview import preview  # staff-only

    try:
        doc = json.loads(Path(args.results).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"grader: {args.results}: {exc}") from None
    print(preview(doc, published=args.published))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from grader.demo import demo  # staff-only

    return demo(_assignment(args.assignment), Path(args.out))


def cmd_bench(args: argparse.Namespace) -> int:
    from grader.bench import bench  # staff-only

    return bench(_assignment(args.assignment), repeat=args.repeat)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each sets ``func``, the function that runs it."""
    p = argparse.ArgumentParser(
        prog="python -m grader", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("release", help="build the student handout")
    s.add_argument("assignment")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_release)
    s = sub.add_parser("autograder", help="build the Gradescope autograder zip")
    s.add_argument("assignment")
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_autograder)
    s = sub.add_parser("grade", help="grade one submission (zip or folder)")
    s.add_argument("assignment")
    s.add_argument("submission")
    s.add_argument("--results", required=True)
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--case", action="append", metavar="NAME", help="grade only this case (repeatable)")
    s.add_argument("--times", action="store_true", help="also print each case's wall time against its limit")
    s.set_defaults(func=cmd_grade)
    s = sub.add_parser("check", help="reference full, stubs zero, mutants caught")
    s.add_argument("assignment")
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--mutants", dest="limit", type=int, default=None, help="grade at most N mutants (evenly spread)")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("batch", help="grade a folder of submissions to a CSV")
    s.add_argument("assignment")
    s.add_argument("submissions")
    s.add_argument("--csv", required=True)
    s.add_argument("--jobs", type=int, default=1, help="grade N submissions at once (one sandbox slot each)")
    s.add_argument("--regrade", action="append", default=[], metavar="NAME", help="grade NAME (entry or sid) again")
    s.add_argument("--restart", action="store_true", help="grade every submission again, not only the new ones")
    s.set_defaults(func=cmd_batch)
    s = sub.add_parser("cases", help="list every case: public/hidden, points, time limit, title")
    s.add_argument("assignment")
    s.set_defaults(func=cmd_cases)
    s = sub.add_parser("preview", help="what a student sees on Gradescope of a results.json, now and once published")
    s.add_argument("results")
    s.add_argument("--published", choices=["both", "no", "yes"], default="both")
    s.set_defaults(func=cmd_preview)
    s = sub.add_parser("demo", help="handout, autograder zip, and the zip run on the reference and the stubs")
    s.add_argument("assignment")
    s.add_argument("--out", default="build/demo")
    s.set_defaults(func=cmd_demo)
    s = sub.add_parser("bench", help="time grading in-process, in a child, and in the full sandbox")
    s.add_argument("assignment")
    s.add_argument("--repeat", type=int, default=3)
    s.set_defaults(func=cmd_bench)
    s = sub.add_parser("submit", help="validate the student's files and write the zip to upload")
    s.add_argument("assignment")
    s.add_argument("--out", default="submission.zip")
    s.add_argument("--no-tests", dest="tests", action="store_false", help="do not run the public tests first")
    s.set_defaults(func=cmd_submit)
    return p


def _absent_here(exc: ModuleNotFoundError) -> bool:
    """Whether ``exc`` is about a grader module this copy of the grader lacks (a handout's)."""
    parts = (exc.name or "").split(".")
    if parts[0] != "grader" or len(parts) < 2:
        return False
    base = GRADER_DIR.joinpath(*parts[1:])
    return not base.with_suffix(".py").exists() and not (base / "__init__.py").exists()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns its exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ModuleNotFoundError as exc:
        if not _absent_here(exc):
            raise
        raise SystemExit(
            f"grader: `{args.command}` is a staff command; this copy of the grader (a handout's) has only `submit`"
        ) from None


if __name__ == "__main__":
    sys.exit(main())
