"""The grading sheet: one row per PDF, the rubric's columns with their maxima, the checker's findings."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from project.rubric import load_rubric
from project.sheet import main

RUBRIC = load_rubric()


def read_sheet(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def test_one_row_per_pdf_with_empty_rubric_cells_and_the_findings(make_paper, tmp_path):
    """Does a folder of three reports (one short, one unreadable) give three rows with the checker's findings?"""
    reports = tmp_path / "reports"
    (reports / "group02").mkdir(parents=True)
    shutil.copy(make_paper(5), reports / "group01.pdf")
    shutil.copy(make_paper(3, sections=("Introduction", "Results")), reports / "group02" / "paper.pdf")
    (reports / "group03.pdf").write_bytes(b"not a pdf at all")
    out = tmp_path / "sheet.csv"
    assert main([str(reports), "--csv", str(out)]) == 0

    columns, rows = read_sheet(out)
    assert [r["group"] for r in rows] == ["group01", "group02/paper", "group03"]
    for item in RUBRIC.items():
        assert f"{item.id} ({item.points})" in columns
        assert all(r[item.column] == "" for r in rows), f"{item.column} must be left to the TAs"
    good, short, broken = rows
    assert (good["pages_counted"], good["sections_missing"], good["problems"]) == ("5", "", "")
    assert good["sections_found"] == "intro approach experiments"
    assert (good["figures"], good["tables"], good["contributions"]) == ("1", "1", "yes")
    assert short["pages_counted"] == "3" and short["sections_missing"] == "approach"
    assert "error: 3 pages counted, fewer than the minimum of 4" in short["problems"]
    assert broken["problems"].startswith("unreadable:") and "not a PDF" in broken["problems"]


def test_a_folder_without_pdfs_is_an_error(tmp_path, capsys):
    """Does an empty folder give exit status 2 and a message saying there is no PDF?"""
    assert main([str(tmp_path), "--csv", str(tmp_path / "x.csv")]) == 2
    assert "no .pdf files" in capsys.readouterr().err
