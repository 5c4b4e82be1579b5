"""Write the grading sheet for a folder of project reports: one CSV row per PDF.

``python -m project.sheet REPORTS_DIR --csv grading-sheet.csv`` (or ``make -C project sheet
REPORTS=...``). Each PDF under REPORTS_DIR (searched recursively, sorted) gets a row: the group
(the PDF's path below REPORTS_DIR without ``.pdf``), the checker's findings, one empty column per
rubric item headed with its maximum (``intro_what (5)``) for the TA to fill in, and a comments
column. A PDF the checker cannot read still gets its row, with the reason under ``problems``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from project.checker import CheckResult, UnreadablePdf, check_pdf
from project.rubric import Rubric, load_rubric

FINDING_COLUMNS = (
    "pages",
    "pages_counted",
    "references_page",
    "sections_found",
    "sections_missing",
    "figures",
    "tables",
    "contributions",
    "body_font_pt",
    "problems",
)


def header(rubric: Rubric) -> list[str]:
    """The sheet's columns: group and file, the checker's findings, one per rubric item, comments."""
    return ["group", "file", *FINDING_COLUMNS, *(item.column for item in rubric.items()), "comments"]


def findings_row(result: CheckResult) -> dict[str, str]:
    """The checker's findings for one PDF, as the sheet's cells."""
    problems = [f"{f.level.value}: {f.message}" for f in result.findings]
    return {
        "pages": str(result.pages_total),
        "pages_counted": str(result.pages_counted),
        "references_page": "" if result.references_page is None else str(result.references_page),
        "sections_found": " ".join(result.sections_found),
        "sections_missing": " ".join(result.sections_missing),
        "figures": str(result.figures),
        "tables": str(result.tables),
        "contributions": "yes" if result.contributions else "no",
        "body_font_pt": "" if result.body_font_pt is None else f"{result.body_font_pt:g}",
        "problems": "; ".join(problems),
    }


def sheet_rows(reports: Path, rubric: Rubric) -> list[dict[str, str]]:
    """One row per PDF under ``reports``; the rubric items' cells are left empty for the TAs."""
    if not reports.is_dir():
        raise NotADirectoryError(f"REPORTS: {reports} is not a folder of PDFs")
    pdfs = sorted(p for p in reports.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file())
    if not pdfs:
        raise FileNotFoundError(f"REPORTS: no .pdf files under {reports}")
    rows = []
    for pdf in pdfs:
        row = dict.fromkeys(header(rubric), "")
        row["group"] = pdf.relative_to(reports).with_suffix("").as_posix()
        row["file"] = pdf.relative_to(reports).as_posix()
        try:
            row.update(findings_row(check_pdf(pdf, rubric)))
        except UnreadablePdf as exc:
            row["problems"] = f"unreadable: {exc}"
        rows.append(row)
    return rows


def write_sheet(reports: str | Path, out: str | Path, rubric: Rubric) -> list[dict[str, str]]:
    """Check every PDF under ``reports`` and write the sheet to ``out`` (CSV, UTF-8); return the rows."""
    rows = sheet_rows(Path(reports), rubric)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header(rubric))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.sheet", description=__doc__.split("\n")[0])
    parser.add_argument("reports", help="folder of report PDFs (searched recursively)")
    parser.add_argument("--csv", default="grading-sheet.csv", help="the sheet to write (default grading-sheet.csv)")
    args = parser.parse_args(argv)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        rows = write_sheet(args.reports, args.csv, load_rubric())
    except (NotADirectoryError, FileNotFoundError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    flagged = sum(1 for r in rows if r["problems"])
    print(f"wrote {args.csv}: {len(rows)} reports, {flagged} with problems for the TAs to look at")
    return 0


if __name__ == "__main__":
    sys.exit(main())
