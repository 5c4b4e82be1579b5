"""``check``: the grader gives the reference full marks, the stubs zero, and catches mutants.

Every run goes through the real grading path (sandbox included), so what is measured here
is what students get.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import oracle
from grader.grade import Graded, grade
from grader.manifest import Manifest, load_manifest
from grader.markers import find_regions, only_solutions, strip_solutions
from grader.mutants import Mutant, mutants_of

MIN_MUTATION_SCORE = 0.90


@dataclass
class CheckReport:
    reference: Graded
    stubs: Graded
    caught: list[Mutant] = field(default_factory=list)
    survived: list[Mutant] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def mutation_score(self) -> float:
        total = len(self.caught) + len(self.survived)
        return len(self.caught) / total if total else 1.0

    @property
    def ok(self) -> bool:
        return not self.problems


def reference_files(manifest: Manifest) -> dict[str, bytes]:
    """The reference as a student would submit it: region contents kept, markers dropped."""
    out = {}
    for rel in manifest.files:
        path = manifest.root / rel
        if not rel.endswith(".py"):
            if path.is_file():  # a reference checkpoint, when the course has trained one
                out[rel] = path.read_bytes()
            continue
        lines = path.read_text().splitlines(keepends=True)
        out[rel] = "".join(only_solutions(lines, rel)).encode()
    return out


def stub_files(manifest: Manifest) -> dict[str, bytes]:
    """The handout's versions of the student files (non-source files are simply absent)."""
    out = {}
    for rel in manifest.code_files:
        lines = (manifest.root / rel).read_text().splitlines(keepends=True)
        out[rel] = "".join(strip_solutions(lines, rel)).encode()
    return out


def _grade_mutant(root: str, oracle_dir: str, ref: dict[str, bytes], mutant: Mutant) -> float:
    manifest = load_manifest(root)
    files = dict(ref)
    files[mutant.file] = mutant.source.encode()
    return grade(manifest, None, student_files=files, oracle_dir=Path(oracle_dir), fail_fast=True).score


def all_mutants(manifest: Manifest) -> list[Mutant]:
    """Mutants of every solution region, except those of the manifest's ``not_mutated`` functions."""
    out: list[Mutant] = []
    for rel in manifest.code_files:
        source = (manifest.root / rel).read_text()
        skipped = [
            r
            for r in find_regions(source.splitlines(keepends=True), rel)
            if any(r.qualname == n or r.qualname.startswith(n + ".") for n in manifest.not_mutated)
        ]
        out += [m for m in mutants_of(rel, source) if not any(r.begin < m.line - 1 < r.end for r in skipped)]
    return out


def run_check(
    manifest: Manifest, workers: int | None = None, limit: int | None = None, progress: bool = True
) -> CheckReport:
    """Grade reference, stubs and mutants; ``limit`` takes an evenly spread subset of mutants."""
    start = time.monotonic()
    oracle_dir = oracle.locate(manifest)
    ref = reference_files(manifest)
    reference = grade(manifest, None, student_files=ref, oracle_dir=oracle_dir)
    stubs = grade(manifest, None, student_files=stub_files(manifest), oracle_dir=oracle_dir)
    report = CheckReport(reference, stubs)
    if reference.score < reference.max_score:
        failed = [t for t in reference.results["tests"] if t["status"] != "passed"]
        report.problems.append(
            f"the reference scores {reference.score:g}/{reference.max_score:g}: "
            + "; ".join(f"{t['name']}: {t['output'][:300]}" for t in failed[:5])
            + (f" | {reference.results['output'][:300]}" if not failed else "")
        )
    if abs(reference.max_score - manifest.total_points) > 1e-9:
        report.problems.append(
            f"cases are worth {reference.max_score:g} points; the manifest says "
            f"total_points = {manifest.total_points:g}"
        )
    if stubs.score > 0:
        earned = [t["name"] for t in stubs.results["tests"] if t["score"] > 0]
        report.problems.append(f"the bare stubs earn {stubs.score:g} points: {earned}")
    silent = [t["name"] for t in stubs.results["tests"] if not t["output"].strip() or t["output"] == "passed"]
    if silent:
        report.problems.append(f"stub failures without a reason: {silent}")
    # Control: each file as the mutants are written (ast.unparse, no change) must score full,
    # or every "caught" mutant below would only measure a broken harness.
    controls = [
        Mutant(rel, 0, "no change (unparsed)", ast.unparse(ast.parse(data.decode())) + "\n")
        for rel, data in ref.items()
        if rel.endswith(".py")
    ]
    mutants = all_mutants(manifest)
    if limit is not None and limit <= 0:
        mutants = []
    elif limit is not None and len(mutants) > limit:
        step = len(mutants) / limit
        mutants = [mutants[int(i * step)] for i in range(limit)]
    workers = workers or max(1, min(4, os.cpu_count() or 1))
    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        checks = {pool.submit(_grade_mutant, str(manifest.root), str(oracle_dir), ref, c): c for c in controls}
        for fut, control in checks.items():
            if (got := fut.result()) < reference.score:
                report.problems.append(
                    f"{control.file} rewritten by ast.unparse scores {got:g}: the mutants cannot be trusted"
                )
        futures = {pool.submit(_grade_mutant, str(manifest.root), str(oracle_dir), ref, m): m for m in mutants}
        for i, fut in enumerate(cf.as_completed(futures), start=1):
            m = futures[fut]
            score = fut.result()
            (report.caught if score < reference.score else report.survived).append(m)
            if progress and i % 20 == 0:
                print(f"  mutants graded: {i}/{len(mutants)}", flush=True)
    order = {id(m): i for i, m in enumerate(mutants)}
    report.survived.sort(key=lambda m: order[id(m)])
    if report.mutation_score < MIN_MUTATION_SCORE:
        report.problems.append(f"mutation score {report.mutation_score:.1%} is under {MIN_MUTATION_SCORE:.0%}")
    report.seconds = time.monotonic() - start
    return report


def format_report(manifest: Manifest, report: CheckReport) -> str:
    lines = [f"check {manifest.name}: {manifest.title}", ""]
    lines.append(f"{'test':60s} {'points':>6s} {'reference':>9s} {'stubs':>6s}")
    for r, s in zip(report.reference.results["tests"], report.stubs.results["tests"], strict=True):
        lines.append(f"{r['name'][:60]:60s} {r['max_score']:6g} {r['score']:9g} {s['score']:6g}")
    lines.append(f"{'total':60s} {report.reference.max_score:6g} {report.reference.score:9g} {report.stubs.score:6g}")
    total = len(report.caught) + len(report.survived)
    lines.append("")
    lines.append(f"mutation score: {len(report.caught)}/{total} = {report.mutation_score:.1%} caught")
    for m in report.survived:
        lines.append(f"  survived: {m.label}")
    lines.append(f"time: {report.seconds:.1f} s")
    lines.append("")
    lines += [f"PROBLEM: {p}" for p in report.problems] or ["OK"]
    return "\n".join(lines)
