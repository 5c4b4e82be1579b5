"""The report checker on PDFs built in the test: its findings and its exit status."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from project.checker import Level, UnreadablePdf, check_pdf, main
from project.rubric import load_rubric

RUBRIC = load_rubric()


def errors(result) -> list[str]:
    return [f.message for f in result.findings if f.level is Level.ERROR]


def warnings(result) -> list[str]:
    return [f.message for f in result.findings if f.level is Level.WARNING]


def test_the_template_passes_with_every_section_found(template_pdf: Path):
    """Does the compiled report template pass, with its sections, figures, tables and contributions found?"""
    result = check_pdf(template_pdf, RUBRIC, group_size=3)
    assert result.findings == (), result.findings
    assert set(result.sections_found) == {"intro", "approach", "experiments"}
    assert (result.figures, result.tables) == (2, 1)
    assert result.contributions is not None
    assert result.body_font_pt == pytest.approx(RUBRIC.rules.body_font_pt)
    assert RUBRIC.rules.min_pages <= result.pages_counted <= RUBRIC.rules.max_pages


def test_three_pages_break_the_rules(make_paper, capsys):
    """Is a paper of 3 pages before the References reported as too short, with exit status 1?"""
    pdf = make_paper(3)
    assert main([str(pdf), "--group-size", "3"]) == 1
    out = capsys.readouterr().out
    assert "3 pages counted, fewer than the minimum of 4" in out
    assert "BREAKS THE RULES" in out


def test_seven_pages_break_the_rules(make_paper, capsys):
    """Is a paper of 7 pages before the References reported as too long, with exit status 1?"""
    pdf = make_paper(7)
    assert main([str(pdf), "--group-size", "3"]) == 1
    assert "7 pages counted, more than the maximum of 6" in capsys.readouterr().out


def test_references_on_their_own_page_do_not_count(make_paper, capsys):
    """Do 6 pages of paper plus a page of References pass, the References page not counted?"""
    pdf = make_paper(6, references="new-page")
    result = check_pdf(pdf, RUBRIC)
    assert (result.pages_total, result.pages_counted, result.references_page) == (7, 6, 7)
    assert errors(result) == []
    assert main([str(pdf)]) == 0
    assert "references do not count" in capsys.readouterr().out


def test_the_page_where_references_start_counts_when_it_holds_paper_text(make_paper):
    """Does the page that holds the paper's end and then the References heading count as a page of the paper?"""
    result = check_pdf(make_paper(5, references="same-page"), RUBRIC)
    assert (result.pages_total, result.pages_counted, result.references_page) == (5, 5, 5)


def test_without_a_references_heading_every_page_counts(make_paper):
    """Without a References heading, is every page counted, with a warning saying so?"""
    result = check_pdf(make_paper(4, references="none"), RUBRIC)
    assert result.pages_counted == result.pages_total == 4
    assert any("no References heading" in w for w in warnings(result))


def test_an_appendix_after_the_references_is_not_counted_and_is_flagged(make_paper, source_of):
    """Does an Appendix after the References leave the page count alone and draw a warning?"""
    pdf = make_paper(source=source_of(5) + "\n#pagebreak()\n#heading(numbering: none)[Appendix]\n#lorem(400)\n")
    result = check_pdf(pdf, RUBRIC)
    assert result.pages_counted == 5 and result.pages_total == 7
    assert any("follows the References" in w for w in warnings(result))
    assert result.ok


def test_missing_sections_are_named_but_do_not_fail(make_paper):
    """Is a missing Approach section reported by name as a warning, without breaking the rules?"""
    result = check_pdf(make_paper(4, sections=("Introduction", "Experiments")), RUBRIC)
    assert result.sections_missing == ("approach",)
    assert set(result.sections_found) == {"intro", "experiments"}
    assert any("'Approach'" in w for w in warnings(result))
    assert result.ok


def test_alternative_heading_names_count_as_the_section(make_paper):
    """Do 'Background', 'Method' and 'Evaluation' count as the rubric's three sections?"""
    result = check_pdf(make_paper(4, sections=("Background", "Method", "Evaluation")), RUBRIC)
    assert result.sections_missing == ()
    assert result.sections_found["approach"].line == "2 Method"


def test_figures_and_tables_are_counted_by_their_captions(make_paper):
    """Are 3 figure captions and 2 table captions counted as 3 and 2?"""
    result = check_pdf(make_paper(2, figures=3, tables=2), RUBRIC)
    assert (result.figures, result.tables) == (3, 2)


def test_a_group_without_contribution_statement_breaks_the_rules(make_paper):
    """With --group-size 3 and no Contributions section, is it an error (exit 1)?"""
    pdf = make_paper(4, contributions=False)
    assert main([str(pdf), "--group-size", "3"]) == 1
    assert any("no contribution statement" in e for e in errors(check_pdf(pdf, RUBRIC, group_size=3)))


def test_a_missing_contribution_statement_is_a_warning_when_the_group_size_is_not_given(make_paper):
    """Without --group-size, is a missing statement a warning that counts the emails on page 1?"""
    result = check_pdf(make_paper(4, contributions=False, authors=2), RUBRIC)
    assert result.ok
    assert any("page 1 lists 2 email addresses" in w for w in warnings(result))


def test_a_contributions_paragraph_in_the_introduction_is_no_contribution_statement(make_paper, source_of):
    """Is an introduction's 'Contributions: we propose...' paragraph not taken for the statement of who did what?"""
    source = source_of(4, contributions=False).replace(
        "= Introduction", "= Introduction\n\nContributions: we propose a new loss and a data set.\n", 1
    )
    result = check_pdf(make_paper(source=source), RUBRIC, group_size=2)
    assert result.contributions is None
    assert any("no contribution statement" in e for e in errors(result))


def test_a_student_alone_needs_no_contribution_statement(make_paper):
    """With --group-size 1, is a paper without a Contributions section fine?"""
    result = check_pdf(make_paper(4, contributions=False, authors=1), RUBRIC, group_size=1)
    assert result.findings == ()


def test_body_text_smaller_than_the_template_breaks_the_rules(make_paper):
    """Is a paper set in 8 pt instead of the template's 10 pt an error naming both sizes?"""
    result = check_pdf(make_paper(4, text_size="8pt"), RUBRIC)
    assert result.body_font_pt == pytest.approx(8.0)
    assert any("8 pt, smaller than the template's 10 pt" in e for e in errors(result))


def test_a_damaged_pdf_is_an_error_saying_so(make_paper, tmp_path, capsys):
    """Is a PDF cut in half reported as damaged, with exit status 2?"""
    data = make_paper(4).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 2])
    assert main([str(cut)]) == 2
    assert "damaged" in capsys.readouterr().err


def test_a_file_that_is_not_a_pdf_is_an_error_saying_so(tmp_path, capsys):
    """Is a Word-like file renamed to .pdf reported as not a PDF, with exit status 2?"""
    fake = tmp_path / "report.pdf"
    fake.write_bytes(b"PK\x03\x04 a docx is a zip file")
    assert main([str(fake)]) == 2
    assert "not a PDF" in capsys.readouterr().err


def test_an_encrypted_pdf_is_an_error_saying_so(make_paper, tmp_path):
    """Is a password-protected PDF refused with a message that says it is encrypted?"""
    writer = PdfWriter(clone_from=make_paper(4))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(UnreadablePdf, match=r"encrypted .*needs a password"):
        check_pdf(locked, RUBRIC)


def test_a_pdf_without_text_layer_is_an_error_saying_so(tmp_path):
    """Are five pages with no text (a scan) refused with 'no text layer'?"""
    writer = PdfWriter()
    for _ in range(5):
        writer.add_blank_page(width=612, height=792)
    scan = tmp_path / "scan.pdf"
    with scan.open("wb") as fh:
        writer.write(fh)
    assert len(PdfReader(scan).pages) == 5
    with pytest.raises(UnreadablePdf, match="no text layer"):
        check_pdf(scan, RUBRIC)


def test_a_missing_file_is_an_error(tmp_path, capsys):
    """Is a path that does not exist reported as such, with exit status 2?"""
    assert main([str(tmp_path / "nope.pdf")]) == 2
    assert "no such file" in capsys.readouterr().err
