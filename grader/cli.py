"""Command line: ``python -m grader release|autograder|grade|check|batch|cases|preview|submit ...``."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

from grader.manifest import Manifest, load_manifest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _assignment(arg: str) -> Manifest:
    path = Path(arg)
    if not (path / "assignment.toml").exists() and (REPO_ROOT / arg / "assignment.toml").exists():
        path = REPO_ROOT / arg
    try:
        return load_manifest(path)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"grader: {exc}") from None


def cmd_release(args: argparse.Namespace) -> int:
    from grader.handout import release

    out = release(_assignment(args.assignment), Path(args.out))
    print(f"handout written to {out}")
    return 0


def cmd_autograder(args: argparse.Namespace) -> int:
    from grader.autograder import build

    out = build(_assignment(args.assignment), Path(args.out))
    print(f"autograder zip written to {out} ({out.stat().st_size // 1024} KB)")
    return 0


def cmd_grade(args: argparse.Namespace) -> int:
    from grader import gradescope
    from grader.grade import grade

    manifest = _assignment(args.assignment)
    graded = grade(manifest, Path(args.submission))
    gradescope.write(Path(args.results), graded.results)
    if not args.quiet:
        for t in graded.results["tests"]:
            mark = "PASS" if t["status"] == "passed" else "FAIL"
            print(f"{mark} {t['score']:5g}/{t['max_score']:<4g} {t['name']}")
            if t["status"] != "passed":
                print("      " + t["output"].replace("\n", "\n      ")[:600])
        print(graded.results["output"][:2000])
    if graded.status != "graded":
        if args.quiet:
            print(graded.results["output"], file=sys.stderr)
        print(f"not graded ({graded.status}); results written to {args.results}")
        return 2 if graded.status == "refused" else 3
    print(f"score: {graded.score:g}/{graded.max_score:g}; results written to {args.results}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from grader.check import format_report, run_check

    manifest = _assignment(args.assignment)
    report = run_check(manifest, workers=args.workers, limit=args.limit)
    print(format_report(manifest, report))
    return 0 if report.ok else 1


def cmd_batch(args: argparse.Namespace) -> int:
    from grader.batch import run_batch

    manifest = _assignment(args.assignment)
    folder = Path(args.submissions)
    if not folder.is_dir():
        raise SystemExit(f"grader: {folder} is not a folder of submissions")
    try:
        rows = run_batch(
            manifest, folder, Path(args.csv), jobs=args.jobs, regrade=tuple(args.regrade), restart=args.restart
        )
    except ValueError as exc:
        raise SystemExit(f"grader: {exc}") from None
    return 0 if all(r.status != "internal error" for r in rows) else 1


def cmd_submit(args: argparse.Namespace) -> int:
    """Check the student's files against the manifest and zip them for upload."""
    manifest = _assignment(args.assignment)
    problems, warnings, present = [], [], []
    for rel in manifest.files:
        path = manifest.root / rel
        if not path.is_file():
            if rel.endswith(".py"):
                problems.append(f"{rel}: missing")
            else:  # a trained checkpoint: the rest can still be graded
                warnings.append(f"{rel}: missing; the tests that need it will score 0")
            continue
        present.append(rel)
        if path.stat().st_size > manifest.limit_bytes(rel):
            problems.append(
                f"{rel}: {path.stat().st_size // 1024} KB, over the {manifest.limit_bytes(rel) // 1024} KB limit"
            )
        if not rel.endswith(".py"):
            continue
        text = path.read_text(errors="replace")
        try:
            compile(text, str(path), "exec")
        except SyntaxError as exc:
            problems.append(f"{rel}:{exc.lineno}: syntax error: {exc.msg}")
        stubs = STUB_RE.findall(text)
        if stubs:
            warnings.append(f"{rel}: {len(stubs)} function(s) still raise NotImplementedError: {', '.join(stubs)}")
    if args.tests:
        _run_public_tests(manifest)
    for w in warnings:
        print(f"warning: {w}")
    if problems:
        for p in problems:
            print(f"error: {p}")
        print("submission NOT written")
        return 1
    out = Path(args.out)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in present:
            zf.write(manifest.root / rel, rel)
    print(f"wrote {out} with {len(present)} files: {', '.join(present)}; upload it to Gradescope")
    return 0


STUB_RE = re.compile(r'raise NotImplementedError\("([\w.]+): not implemented yet \(see the README\)"\)')


def _run_public_tests(manifest: Manifest) -> None:
    """Run the public tests (``make test``) and print their last lines: the points summary."""
    tests = manifest.root / Path(manifest.public_cases).parent
    if not (tests / "test_public.py").is_file():
        return
    print("running the public tests first (make test) ...", flush=True)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=no", str(tests)]
    try:
        proc = subprocess.run(cmd, cwd=manifest.root, capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        print("the public tests took more than 30 minutes; stopped")
        return
    lines = proc.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "public points" in line), None)
    shown = lines[start + 1 :] if start is not None else lines[-5:]
    print("\n".join(shown))
    if proc.returncode != 0:
        print("some public tests fail: run make test for the messages (you can still submit)")


def cmd_cases(args: argparse.Namespace) -> int:
    """Every case: public or hidden, points, time limit, title."""
    from grader import oracle
    from grader.grade import REFERENCE_FACTOR, case_time_limits

    manifest = _assignment(args.assignment)
    cases = oracle.load_cases(manifest)
    limits = case_time_limits(manifest, cases, oracle.metadata(oracle.locate(manifest)))
    width = max([4, *(len(c.name) for c, _ in cases)])
    print(f"{'case':{width}s} {'kind':6s} {'points':>6s} {'limit':>7s}  title")
    for case, public in cases:
        kind = "public" if public else "hidden"
        print(f"{case.name:{width}s} {kind:6s} {case.points:6g} {limits[case.name]:6g}s  {case.title}")
    n_pub = sum(p for _, p in cases)
    pub_points = sum(c.points for c, p in cases if p)
    total = sum(c.points for c, _ in cases)
    floor, cap = manifest.limits.case_time_floor_s, manifest.limits.case_time_limit_s
    print(
        f"{len(cases)} cases, {total:g} points: {n_pub} public ({pub_points:g} points), "
        f"{len(cases) - n_pub} hidden ({total - pub_points:g} points).\n"
        f"A case's limit is {REFERENCE_FACTOR:g} times the reference's time, within {floor:g}-{cap:g} s, "
        "unless it declares its own."
    )
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    """What a student sees on Gradescope of a results file, before and after publication."""
    from grader.preview import preview

    try:
        doc = json.loads(Path(args.results).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"grader: {args.results}: {exc}") from None
    print(preview(doc, published=args.published))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from grader.demo import demo

    return demo(_assignment(args.assignment), Path(args.out))


def cmd_bench(args: argparse.Namespace) -> int:
    from grader.bench import bench

    return bench(_assignment(args.assignment), repeat=args.repeat)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
