"""Fixtures that make the PDFs the tests check: Typst sources compiled in the test, in the course style.

No PDF is committed: each test builds the paper it needs in a fraction of a second.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from project.typeset import compile_typst

KIT = Path(__file__).resolve().parents[1]
TYPST_DIR = KIT / "templates" / "typst"

DEFAULT_SECTIONS = ("Introduction", "Approach", "Experiments and results")


def paper_source(
    body_pages: int,
    *,
    sections: Sequence[str] = DEFAULT_SECTIONS,
    references: str = "new-page",
    contributions: bool = True,
    authors: int = 3,
    figures: int = 1,
    tables: int = 1,
    text_size: str | None = None,
) -> str:
    """A Typst paper in the course style with exactly ``body_pages`` pages before the References.

    Args:
        body_pages: pages of the paper proper (each ends with a page break).
        sections: numbered section headings, spread over the pages in order.
        references: "new-page" (the References open a page of their own), "same-page" (they
            follow text on the last body page) or "none" (no References heading).
        contributions: whether a Contributions section precedes the References.
        authors: how many authors (and email addresses) the title block lists.
        figures, tables: how many captioned figures and tables the first page holds.
        text_size: a Typst length to set all text in (e.g. "8pt"), else the template's size.
    """
    people = ", ".join(f'(name: "Author {i}", email: "a{i}@uni.edu")' for i in range(1, authors + 1))
    parts = [
        '#import "dlproject.typ": paper',
        f"#show: paper.with(title: [A test paper], authors: ({people},), abstract: [#lorem(40)])",
    ]
    if text_size:
        parts.append(f"#set text(size: {text_size})")
    for i in range(1, figures + 1):
        parts.append(f"#figure(rect(width: 100%, height: 2em), kind: image, caption: [Figure number {i}.])")
    for i in range(1, tables + 1):
        parts.append(f"#figure(table(columns: 2, [a], [b]), caption: [Table number {i}.])")
    for page in range(body_pages):
        for name in sections[page::body_pages] if body_pages else ():
            parts.append(f"= {name}")
        last = page == body_pages - 1
        if last and references == "same-page":
            parts.append("#lorem(150)")
        else:
            # Fill both columns so that the page is really used, then break.
            parts.append("#lorem(200)\n#colbreak()\n#lorem(200)")
        if last and contributions:
            parts.append("#heading(numbering: none)[Contributions]\nAuthor 1 wrote everything.")
        if not last or references == "new-page":
            parts.append("#pagebreak()")
    if references != "none":
        parts.append("#heading(numbering: none)[References]")
        parts.extend(f"[{i}] A. Author, A title, In a venue, 2024." for i in range(1, 4))
    return "\n\n".join(parts) + "\n"


@pytest.fixture
def make_paper(tmp_path: Path) -> Callable[..., Path]:
    """Build a PDF from paper_source's arguments (or ``source=`` for any Typst text); returns its path."""
    shutil.copy(TYPST_DIR / "dlproject.typ", tmp_path / "dlproject.typ")
    counter = iter(range(1_000_000))

    def make(*args: object, source: str | None = None, name: str | None = None, **kwargs: object) -> Path:
        text = source if source is not None else paper_source(*args, **kwargs)  # type: ignore[arg-type]
        stem = name or f"paper{next(counter)}"
        typ = tmp_path / f"{stem}.typ"
        typ.write_text(text, encoding="utf-8")
        pdf = tmp_path / f"{stem}.pdf"
        compile_typst(typ, pdf)
        return pdf

    return make


@pytest.fixture
def source_of() -> Callable[..., str]:
    """paper_source, for tests that extend a paper's Typst text before compiling it."""
    return paper_source


@pytest.fixture(scope="session")
def template_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report template, compiled as `make report` compiles it."""
    out = tmp_path_factory.mktemp("template") / "report.pdf"
    compile_typst(TYPST_DIR / "report.typ", out)
    return out
