"""The templates: they quote the rubric's questions, compile (Typst), and use only standard LaTeX packages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from project.rubric import load_rubric
from project.typeset import TypesetError, compile_typst

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
RUBRIC = load_rubric()
# Packages of every TeX Live installation and of Overleaf; nothing conference-specific.
STANDARD_PACKAGES = {
    "geometry", "fontenc", "lmodern", "amsmath", "amssymb", "graphicx", "booktabs", "xcolor", "caption", "hyperref",
    "dlproject",
}  # fmt: skip


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path", ["typst/report.typ", "latex/report.tex"])
def test_the_report_templates_ask_every_rubric_question(path: str):
    """Does each report template quote every rubric question verbatim, with its points?"""
    text = flat((TEMPLATES / path).read_text(encoding="utf-8"))
    missing = [i.id for i in RUBRIC.items() if f"{i.question} ({i.points} points)" not in text]
    # Figures and clarity are graded on the whole paper; the template shows them by example.
    assert missing == ["figures", "clarity"]


@pytest.mark.parametrize("path", ["typst/proposal.typ", "latex/proposal.tex"])
def test_the_proposal_templates_ask_the_proposal_questions(path: str):
    """Does each proposal template quote every rubric question marked for the proposal, and no other?"""
    text = flat((TEMPLATES / path).read_text(encoding="utf-8"))
    asked = {i.id for i in RUBRIC.items() if i.question in text}
    assert asked == {i.id for i in RUBRIC.items() if i.proposal}


def test_the_typst_proposal_compiles_to_one_or_two_two_column_pages(tmp_path: Path):
    """Does the proposal template compile here, to 1 or 2 pages with the proposal header?"""
    pdf = tmp_path / "proposal.pdf"
    compile_typst(TEMPLATES / "typst" / "proposal.typ", pdf)
    reader = PdfReader(pdf)
    assert 1 <= len(reader.pages) <= 2
    assert "Project proposal".upper() in reader.pages[0].extract_text().upper()


def test_the_report_template_has_two_columns(template_pdf: Path):
    """Does text on a page of the compiled report start at two distinct left edges (two columns)?"""
    page = PdfReader(template_pdf).pages[1]
    width = float(page.mediabox.width)
    lefts: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            lefts.append(cm[4] + tm[4] * cm[0])

    page.extract_text(visitor_text=visit)
    left_column = [x for x in lefts if x < width / 2]
    right_column = [x for x in lefts if x >= width / 2]
    assert len(left_column) > 20 and len(right_column) > 20, (len(left_column), len(right_column))


def test_a_typst_error_names_the_file(tmp_path: Path):
    """Does a Typst source with an error raise TypesetError naming the file?"""
    bad = tmp_path / "bad.typ"
    bad.write_text("#let x = (\n")
    with pytest.raises(TypesetError, match=r"bad\.typ"):
        compile_typst(bad)


@pytest.mark.parametrize("path", ["latex/report.tex", "latex/proposal.tex", "latex/dlproject.sty"])
def test_the_latex_templates_use_only_standard_packages(path: str):
    """Does each LaTeX file load only packages that every TeX Live and Overleaf has?"""
    text = (TEMPLATES / path).read_text(encoding="utf-8")
    used = set()
    for names in re.findall(r"\\(?:usepackage|RequirePackage)(?:\[[^\]]*\])?\{([^}]*)\}", text):
        used.update(n.strip() for n in names.split(","))
    assert used and used <= STANDARD_PACKAGES, used - STANDARD_PACKAGES


@pytest.mark.parametrize("path", ["latex/report.tex", "latex/proposal.tex", "latex/dlproject.sty"])
def test_the_latex_templates_are_balanced(path: str):
    """Are braces balanced and, in a document, every \\begin{env} closed by its \\end{env} in order?"""
    text = re.sub(r"(?<!\\)%.*", "", (TEMPLATES / path).read_text(encoding="utf-8"))
    text = text.replace(r"\{", "").replace(r"\}", "")
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "a } closes nothing"
    assert depth == 0
    if path.endswith(".sty"):
        return  # the style's \and closes and reopens a tabular on purpose, as article's does
    stack: list[str] = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", text):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, f"\\end{{{env}}} does not close the open environment"
    assert stack == []
