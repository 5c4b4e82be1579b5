"""``batch``: grade a folder of submissions, in parallel, to a CSV a gradebook imports.

The folder is either one zip or folder per student (named as the TA likes), or Gradescope's
export of an assignment's submissions: one folder per submission (``submission_12345``) and
``submission_metadata.yml``, which maps each folder to its submitters (name, student id,
email). Every entry of the folder gets a row, also one that cannot be graded (with its
reason), and so does every submission the metadata lists but the folder lacks.

Each submission's Gradescope results are written to ``<csv stem>_results/<entry>.json`` as
soon as it is graded; a later run with the same CSV reads them back instead of grading again
(``--regrade NAME`` grades NAME again, ``--restart`` all of them), so an interrupted batch
resumes where it stopped. ``--jobs N`` grades N submissions at once, each in a process of its
own holding one sandbox slot. After the batch, a summary (mean, median, a histogram of the
scores, each case's pass rate) is printed and written beside the CSV as text and as a PNG.
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import json
import multiprocessing as mp
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.manifest import Manifest, load_manifest

METADATA = "submission_metadata.yml"
IDENTITY = ("name", "sid", "email")


@dataclass
class Entry:
    """One row of the batch: a submission (or what stands in its place) and who made it."""

    name: str  # the entry's name in the folder (alice.zip, submission_12345)
    path: Path | None  # None: listed in the metadata, missing from the folder
    submitters: list[dict[str, str]] = field(default_factory=list)
    problem: str = ""  # why it cannot be graded, found before grading

    @property
    def stem(self) -> str:
        """The results file's name without .json: the name without a final .zip."""
        return self.name.removesuffix(".zip")


@dataclass
class Row:
    entry: Entry
    status: str  # graded / refused / internal error
    score: float
    seconds: float
    results: dict[str, Any]


def _key(d: dict[str, Any], name: str) -> Any:
    """A key of Gradescope's YAML, written ``:name:`` (a Ruby symbol) or ``name:``."""
    return d.get(f":{name}", d.get(name))


def read_metadata(folder: Path) -> dict[str, list[dict[str, str]]]:
    """Gradescope's ``submission_metadata.yml``: submission folder -> submitters' name, sid,
    email ({} when the file is absent). Raises ValueError when it is there but unreadable."""
    path = folder / METADATA
    if not path.is_file():
        return {}
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not readable YAML ({exc})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a mapping of submission folders to their metadata")
    out: dict[str, list[dict[str, str]]] = {}
    for sub, meta in doc.items():
        people = _key(meta, "submitters") if isinstance(meta, dict) else None
        out[str(sub)] = [
            {k: "" if _key(p, k) is None else str(_key(p, k)).strip() for k in IDENTITY}
            for p in (people if isinstance(people, list) else [])
            if isinstance(p, dict)
        ]
    return out


def list_entries(folder: Path) -> list[Entry]:
    """Every entry of ``folder`` (hidden files and the metadata aside), and every submission the
    metadata lists that the folder lacks; sorted by name."""
    meta = read_metadata(folder)
    entries = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == METADATA:
            continue
        who = meta.get(path.name, meta.get(path.name.removesuffix(".zip"), []))
        if path.is_dir() or (path.is_file() and path.suffix == ".zip"):
            entries.append(Entry(path.name, path, who))
        else:
            entries.append(Entry(path.name, path, who, "not a zip file or a folder: not graded"))
    present = {e.name for e in entries} | {e.stem for e in entries}
    for sub, who in sorted(meta.items()):
        if sub not in present:
            entries.append(Entry(sub, None, who, f"listed in {METADATA} but not in the folder"))
    return sorted(entries, key=lambda e: e.name)


def _target(path: Path, manifest: Manifest) -> Path:
    """What to grade for an entry: a folder that holds none of the manifest's files but a single
    zip (a student uploaded their zip) is graded through that zip."""
    if not path.is_dir():
        return path
    wanted = {Path(f).name for f in manifest.files}
    files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    zips = [p for p in files if p.suffix == ".zip"]
    if len(zips) == 1 and not any(p.name in wanted for p in files):
        return zips[0]
    return path


def _grade_one(root: str, path: str, results_path: str) -> tuple[str, float, float]:
    """Worker: grade one submission, write its results; (status, score, seconds)."""
    from grader import gradescope
    from grader.grade import grade

    manifest = load_manifest(root)
    t0 = time.monotonic()
    graded = grade(manifest, _target(Path(path), manifest))
    gradescope.write(Path(results_path), graded.results)
    return graded.status, graded.score, time.monotonic() - t0


def results_dir_of(csv_path: Path) -> Path:
    stem = csv_path.with_suffix("")
    return stem.parent / f"{stem.name}_results"


def run_batch(
    manifest: Manifest,
    folder: Path,
    csv_path: Path,
    jobs: int = 1,
    regrade: tuple[str, ...] = (),
    restart: bool = False,
    progress: bool = True,
) -> list[Row]:
    """Grade every entry of ``folder`` not graded by an earlier run (or named in ``regrade``),
    write the CSV and the summary; returns the rows, in the CSV's order."""
    from grader import gradescope
    from grader.grade import status_of
    from grader.sandbox import SLOTS

    if not 1 <= jobs <= SLOTS:
        raise ValueError(f"--jobs {jobs}: expected 1 to {SLOTS} (one sandbox slot each)")
    entries = list_entries(folder)
    stems = [e.stem for e in entries]
    clash = sorted({n for n in stems if stems.count(n) > 1})
    if clash:
        raise ValueError(f"{', '.join(clash)}: both a zip and a folder of that name in {folder}; rename one")
    results_dir = results_dir_of(csv_path)
    results_dir.mkdir(parents=True, exist_ok=True)
    known = {n for e in entries for n in (e.name, e.stem)} | {
        p["sid"] for e in entries for p in e.submitters if p["sid"]
    }
    unknown = [r for r in regrade if r not in known]
    if unknown:
        raise ValueError(f"--regrade {', '.join(unknown)}: no such submission or student id in {folder}")
    again = {
        e.name for e in entries if {e.name, e.stem} & set(regrade) or any(p["sid"] in regrade for p in e.submitters)
    }
    todo: list[Entry] = []
    for e in entries:
        done = results_dir / f"{e.stem}.json"
        if e.problem:
            continue
        if restart or e.name in again or not done.is_file():
            done.unlink(missing_ok=True)
            todo.append(e)
    start = time.monotonic()
    if progress:
        print(f"{len(entries)} entries; {len(todo)} to grade with {jobs} job(s), the others read back", flush=True)

    def report(e: Entry, status: str, score: float) -> None:
        if progress:
            print(f"{e.name}: {status}, {score:g}/{manifest.total_points:g}", flush=True)

    args = [(str(manifest.root), str(e.path), str(results_dir / f"{e.stem}.json")) for e in todo]
    if jobs <= 1:
        for e, a in zip(todo, args, strict=True):
            status, score, _ = _grade_one(*a)
            report(e, status, score)
    else:
        with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
            futures = {pool.submit(_grade_one, *a): e for e, a in zip(todo, args, strict=True)}
            for fut in cf.as_completed(futures):
                e = futures[fut]
                try:
                    status, score, _ = fut.result()
                except Exception as exc:  # the worker itself died: that entry gets a row saying so
                    doc = gradescope.failure(f"internal error of the grader (worker: {type(exc).__name__}: {exc})")
                    gradescope.write(results_dir / f"{e.stem}.json", doc)
                    status, score = "internal error", 0.0
                report(e, status, score)
    elapsed = time.monotonic() - start
    rows = []
    for e in entries:
        done = results_dir / f"{e.stem}.json"
        if e.problem:
            rows.append(Row(e, "refused", 0.0, 0.0, gradescope.failure(e.problem)))
            continue
        doc = json.loads(done.read_text(encoding="utf-8"))
        rows.append(Row(e, status_of(doc), float(doc.get("score", 0.0)), float(doc.get("execution_time", 0.0)), doc))
    write_csv(manifest, rows, csv_path)
    summary = summarize(manifest, rows)
    if todo:
        rate = 60 * len(todo) / max(elapsed, 1e-9)
        summary += f"\nthroughput: {len(todo)} graded in {elapsed:.1f} s, {rate:.1f} per minute with {jobs} job(s)"
    base = csv_path.with_suffix("")
    (base.parent / f"{base.name}_summary.txt").write_text(summary + "\n", encoding="utf-8")
    plot_summary(manifest, rows, base.parent / f"{base.name}_summary.png")
    if progress:
        print(summary)
        print(f"wrote {csv_path}, {base.name}_summary.txt and .png; per-submission results in {results_dir}")
    return rows


def batch_command(
    manifest: Manifest,
    folder: Path,
    csv_path: Path,
    jobs: int = 1,
    regrade: tuple[str, ...] = (),
    restart: bool = False,
) -> int:
    """The ``batch`` command: ``run_batch`` with its errors as messages; exit status 1 when a
    submission met an internal error of the grader, else 0."""
    if not folder.is_dir():
        raise SystemExit(f"grader: {folder} is not a folder of submissions")
    try:
        rows = run_batch(manifest, folder, csv_path, jobs=jobs, regrade=regrade, restart=restart)
    except ValueError as exc:
        raise SystemExit(f"grader: {exc}") from None
    return 0 if all(r.status != "internal error" for r in rows) else 1


def _cases(manifest: Manifest) -> list[tuple[str, float]]:
    """(case name, points) in the order of the results' tests."""
    from grader.casefiles import load_cases

    return [(c.name, c.points) for c, _ in load_cases(manifest)]


def _message(row: Row) -> str:
    """One line for the CSV: why a submission was not graded, or the grader's notes on it."""
    from grader import gradescope

    text = str(row.results.get("output", ""))
    text = text.removeprefix(gradescope.FAILURE_PREFIX)
    if row.status == "graded":
        text = text.split("Your code printed", 1)[0]
        text = "\n".join(text.splitlines()[1:])  # the assignment's title first: not news
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())[:500]


def write_csv(manifest: Manifest, rows: list[Row], path: Path) -> None:
    """One row per entry: who (name, sid, email; ``;`` between group members), the submission,
    status, score, then each case's points; the header gives each case's maximum."""
    cases = _cases(manifest)
    header = [*IDENTITY, "submission", "status", "score", "max_score", "seconds"]
    header += [f"{name} (max {points:g})" for name, points in cases]
    header.append("message")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for row in rows:
            per = {t["tags"][-1]: t["score"] for t in row.results.get("tests", []) if t.get("tags")}
            who = ["; ".join(p[k] for p in row.entry.submitters if p[k]) for k in IDENTITY]
            points = [f"{per[n]:g}" if n in per else ("0" if row.status == "graded" else "") for n, _ in cases]
            head = [row.entry.name, row.status, f"{row.score:g}", f"{manifest.total_points:g}", f"{row.seconds:.1f}"]
            w.writerow([*who, *head, *points, _message(row)])


def _histogram(scores: list[float], top: float, bins: int = 10) -> list[tuple[float, float, int]]:
    edges = [top * i / bins for i in range(bins + 1)]
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(bins * s / top))) if top > 0 else 0] += 1
    return [(edges[i], edges[i + 1], counts[i]) for i in range(bins)]


def summarize(manifest: Manifest, rows: list[Row]) -> str:
    """Counts by status; mean and median of the graded scores; their histogram; each case's pass rate."""
    graded = [r for r in rows if r.status == "graded"]
    scores = [r.score for r in graded]
    top = manifest.total_points
    by = {s: sum(r.status == s for r in rows) for s in ("graded", "refused", "internal error")}
    lines = [f"{manifest.title}: {len(rows)} entries, " + ", ".join(f"{n} {s}" for s, n in by.items())]
    if scores:
        lines.append(
            f"score of the graded (out of {top:g}): mean {statistics.fmean(scores):.2f}, "
            f"median {statistics.median(scores):g}, min {min(scores):g}, max {max(scores):g}"
        )
        lines.append("histogram:")
        width = max(c for _, _, c in _histogram(scores, top)) or 1
        for lo, hi, count in _histogram(scores, top):
            lines.append(
                f"  [{lo:6.1f}, {hi:6.1f}{']' if hi == top else ')'} {count:5d} {'#' * round(40 * count / width)}"
            )
        lines.append("pass rate per case (graded submissions):")
        for name, rate, points in case_pass_rates(manifest, graded):
            lines.append(f"  {rate:6.1%}  {name} ({points:g} points)")
    return "\n".join(lines)


def case_pass_rates(manifest: Manifest, graded: list[Row]) -> list[tuple[str, float, float]]:
    """(case, fraction of graded submissions with full points on it, points), in case order."""
    out = []
    for name, points in _cases(manifest):
        full = sum(
            any(t.get("tags", [None])[-1] == name and t["status"] == "passed" for t in r.results["tests"])
            for r in graded
        )
        out.append((name, full / len(graded) if graded else 0.0, points))
    return out


def plot_summary(manifest: Manifest, rows: list[Row], path: Path) -> None:
    """The histogram of the graded scores and each case's pass rate, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    graded = [r for r in rows if r.status == "graded"]
    rates = case_pass_rates(manifest, graded)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, max(4, 0.22 * len(rates) + 1.5)))
    ax1.hist([r.score for r in graded], bins=10, range=(0, manifest.total_points), color="tab:blue", edgecolor="white")
    ax1.set_xlabel(f"score (out of {manifest.total_points:g})")
    ax1.set_ylabel("submissions")
    ax1.set_title(f"{len(graded)} graded of {len(rows)}")
    ax2.barh([n for n, _, _ in rates][::-1], [100 * r for _, r, _ in rates][::-1], color="tab:green")
    ax2.set_xlim(0, 100)
    ax2.set_xlabel("% of graded submissions passing")
    ax2.tick_params(axis="y", labelsize=7)
    fig.suptitle(manifest.title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
