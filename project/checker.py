"""Check a project report PDF against the course's rules before it is submitted.

``python -m project.checker REPORT.pdf [--group-size N]`` (or ``make -C project check REPORT=...``)
reads the PDF's text layer with pypdf and reports:

- the pages: all of them, and those that count. References do not count toward the page
  limit: pages count up to the page where the References heading stands, and that page counts
  when it holds text of the paper above the heading;
- which rubric sections it finds by their headings (rubric.yaml lists the accepted names);
- how many figures and tables have captions ("Figure 3:", "Table 1.");
- whether there is a contribution statement (required for groups of two or more);
- the body text's font size against the template's, and how much text is smaller than the
  template's smallest.

Exit status: 0 when nothing breaks the rules (warnings may remain), 1 when a rule is broken
(page count, body font size, a group's missing contribution statement), 2 when the file cannot
be checked (missing, not a PDF, damaged, encrypted, no text layer).
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import logging
import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from project.rubric import Rubric, load_rubric

# A heading line: optional numbering ("3", "3.1", "3.", "III.", "A.") then the name, optionally ending in ":" or ".".
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.|[A-Z]\.)\s*")
_CAPTION = re.compile(r"^\s*(Figure|Fig\.|Table)\s*(\d+)\s*[:.]", re.MULTILINE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A page needs this much text above the References heading to count as a page of the paper
# (a running header or a page number alone is less).
_BODY_CHARS_BEFORE_REFERENCES = 100
# Fewer characters than this in the whole file: no text layer (a scan or a picture of pages).
_MIN_TEXT_CHARS = 200
# Font sizes within this of the template's count as the template's (LaTeX's 10 pt is 9.96 PDF points).
_FONT_TOLERANCE_PT = 0.25
# More than this share of the paper's characters below the template's smallest size is reported.
_SMALL_TEXT_WARN_SHARE = 0.05


class Level(enum.Enum):
    """How serious a finding is: only ERROR makes the checker exit non-zero."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Finding:
    level: Level
    topic: str  # pages, sections, figures, contributions, fonts, text
    message: str


class UnreadablePdf(Exception):
    """The file cannot be checked: missing, not a PDF, damaged, encrypted or without a text layer."""


@dataclass(frozen=True)
class PageText:
    """One page's extracted text and how many characters were set in each font size (PDF points)."""

    number: int  # 1-based
    text: str
    chars_by_size: dict[float, int]

    @property
    def lines(self) -> list[str]:
        return [" ".join(line.split()) for line in self.text.splitlines() if line.strip()]


@dataclass(frozen=True)
class HeadingHit:
    """A heading found on ``page`` (1-based), as it reads in the PDF."""

    name: str
    page: int
    line: str


@dataclass(frozen=True)
class CheckResult:
    """Everything the checker found in one PDF."""

    path: Path
    pages_total: int
    pages_counted: int
    references_page: int | None  # where the References heading stands, None when not found
    sections_found: dict[str, HeadingHit]  # rubric section id -> its heading
    sections_missing: tuple[str, ...]  # rubric section ids (only sections that have headings)
    figures: int
    tables: int
    contributions: HeadingHit | None
    authors_emails: int  # email addresses on page 1, a hint for the group size
    body_font_pt: float | None
    small_text_share: float
    findings: tuple[Finding, ...] = field(default=())

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level is Level.WARNING]

    @property
    def ok(self) -> bool:
        """True when nothing breaks the rules."""
        return not self.errors


# --- reading -------------------------------------------------------------------------------


def _effective_size(cm: Sequence[float], tm: Sequence[float], font_size: float) -> float:
    """The glyph height in PDF points: the font size scaled by the text and current matrices."""
    c, d = tm[2], tm[3]  # the text matrix's vertical axis
    A, B, C, D = cm[0], cm[1], cm[2], cm[3]
    # The vertical axis of (tm x cm): row 2 of the 2x2 product.
    return abs(font_size) * math.hypot(c * A + d * C, c * B + d * D)


def read_pdf(path: str | Path) -> list[PageText]:
    """Each page's text and font sizes; raises UnreadablePdf saying what is wrong with the file."""
    path = Path(path)
    if not path.is_file():
        raise UnreadablePdf(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise UnreadablePdf(f"{path}: not a PDF (it does not start with %PDF-); export your report as PDF")
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            opens = False
            with contextlib.suppress(PyPdfError, NotImplementedError):
                opens = bool(reader.decrypt(""))
            hint = "it opens without a password but has restrictions" if opens else "it needs a password"
            raise UnreadablePdf(
                f"{path}: the PDF is encrypted ({hint}); export it again without a password or "
                "permission restrictions so that it can be read and annotated"
            )
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            sizes: Counter[float] = Counter()

            def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
                n = len(text.strip())
                if n:
                    sizes[round(_effective_size(cm, tm, size), 1)] += n

            text = page.extract_text(visitor_text=visit) or ""
            pages.append(PageText(number=number, text=text, chars_by_size=dict(sizes)))
    except UnreadablePdf:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise UnreadablePdf(f"{path}: the PDF is damaged and cannot be read ({type(exc).__name__}: {exc})") from None
    if not pages:
        raise UnreadablePdf(f"{path}: the PDF has no pages")
    total_chars = sum(len(p.text.strip()) for p in pages)
    if total_chars < _MIN_TEXT_CHARS:
        raise UnreadablePdf(
            f"{path}: the PDF has no text layer ({total_chars} characters of text in {len(pages)} pages): "
            "it looks scanned or printed to images; export it from LaTeX, Typst or your editor instead"
        )
    return pages


# --- finding things in the text ---------------------------------------------------------------


def heading_name(line: str) -> str:
    """A line with its section numbering and a trailing colon removed, in lower case.

    A trailing period is kept, so that the last line of a paragraph ("results.") is no heading.
    """
    line = " ".join(line.split())
    line = _NUMBERING.sub("", line, count=1) if _NUMBERING.match(line) and " " in line.strip() else line
    return line.rstrip(":").strip().lower()


def find_heading(pages: Sequence[PageText], names: Sequence[str]) -> HeadingHit | None:
    """The first line that is exactly one of ``names`` (numbering and case aside)."""
    wanted = {n.lower() for n in names}
    for page in pages:
        for line in page.lines:
            if heading_name(line) in wanted:
                return HeadingHit(name=heading_name(line), page=page.number, line=line)
    return None


def find_statement(
    pages: Sequence[PageText], names: Sequence[str], after: HeadingHit | None = None
) -> HeadingHit | None:
    """The last heading or paragraph opening ("Contributions:") named by ``names``, if it comes after ``after``.

    The last one, and only after the last rubric section's heading: a CV paper's introduction
    often has a "Contributions." paragraph about the paper's contributions, which is not the
    statement of who did what.
    """
    wanted = {n.lower() for n in names}
    run_in = re.compile(r"^(?:" + "|".join(re.escape(n) for n in names) + r")\s*[:.]", re.IGNORECASE)
    last: tuple[int, int, str] | None = None
    start = (after.page, -1) if after else (0, -1)
    for page in pages:
        for index, line in enumerate(page.lines):
            if heading_name(line) in wanted or run_in.match(line):
                last = (page.number, index, line)
            if after and page.number == after.page and line == after.line:
                start = (page.number, index)
    if last is None or (last[0], last[1]) <= start:
        return None
    page, _, line = last
    return HeadingHit(name=re.split(r"[:.]", line)[0].strip().lower(), page=page, line=line)


def body_of(pages: Sequence[PageText], references: HeadingHit | None) -> list[PageText]:
    """The pages of the paper proper: before the References, and the text above the heading on its page."""
    if references is None:
        return list(pages)
    body = list(pages[: references.page - 1])
    page = pages[references.page - 1]
    lines = page.lines
    index = lines.index(references.line)
    above = "\n".join(lines[:index])
    if above.strip():
        share = len(above) / max(1, len(page.text))
        sizes = {size: round(n * share) for size, n in page.chars_by_size.items()}
        body.append(PageText(number=page.number, text=above, chars_by_size=sizes))
    return body


def caption_numbers(pages: Sequence[PageText]) -> tuple[set[int], set[int]]:
    """The numbers of figure captions and of table captions found at the start of a line."""
    figures: set[int] = set()
    tables: set[int] = set()
    for page in pages:
        for kind, number in _CAPTION.findall("\n".join(page.lines)):
            (tables if kind == "Table" else figures).add(int(number))
    return figures, tables


# --- the check ------------------------------------------------------------------------------


def check_pdf(path: str | Path, rubric: Rubric, group_size: int | None = None) -> CheckResult:
    """Check one PDF against ``rubric``'s rules; raises UnreadablePdf when it cannot be read."""
    path = Path(path)
    rules = rubric.rules
    pages = read_pdf(path)
    findings: list[Finding] = []

    # Pages: count up to the References heading (see the module docstring).
    references = find_heading(pages, rubric.headings["references"])
    if references is not None and references.page == 1 and len(pages) > 1:
        references = None  # a "References" line on the title page is not the bibliography
    body = body_of(pages, references)
    if rules.references_count or references is None:
        counted = len(pages)
    else:
        counted = len(body)
    if references is None:
        findings.append(
            Finding(Level.WARNING, "pages", f"no References heading found: all {len(pages)} pages are counted")
        )
    if counted < rules.min_pages:
        findings.append(
            Finding(Level.ERROR, "pages", f"{counted} pages counted, fewer than the minimum of {rules.min_pages}")
        )
    elif counted > rules.max_pages:
        findings.append(
            Finding(Level.ERROR, "pages", f"{counted} pages counted, more than the maximum of {rules.max_pages}")
        )
    if references is not None:
        after = find_heading(pages[references.page - 1 :], ["Appendix", "Appendices", "Supplementary material"])
        if after is not None:
            findings.append(
                Finding(
                    Level.WARNING,
                    "pages",
                    f"{after.line!r} on page {after.page} follows the References: nothing after the "
                    "References is read or graded",
                )
            )
    for page in body:
        if not page.text.strip():
            findings.append(Finding(Level.WARNING, "text", f"page {page.number} has no text (a picture of a page?)"))

    # Rubric sections, by their headings, in the counted pages.
    found: dict[str, HeadingHit] = {}
    missing: list[str] = []
    for section in rubric.sections:
        if not section.headings:
            continue
        hit = find_heading(body, section.headings)
        if hit is None:
            missing.append(section.id)
            names = ", ".join(repr(h) for h in section.headings)
            findings.append(
                Finding(
                    Level.WARNING,
                    "sections",
                    f"no heading for {section.title!r} ({section.points} points); expected one of {names}",
                )
            )
        else:
            found[section.id] = hit

    figures, tables = caption_numbers(body)
    if not figures and not tables:
        findings.append(
            Finding(Level.WARNING, "figures", "no figure or table captions found ('Figure 1:', 'Table 1:')")
        )

    # Contribution statement: required for groups; the group size is given or hinted by the emails.
    last_section = max(found.values(), key=lambda hit: hit.page, default=None)
    contributions = find_statement(body, rubric.headings["contributions"], after=last_section)
    emails = len(set(_EMAIL.findall(pages[0].text)))
    if contributions is None:
        required = group_size is not None and group_size >= rules.contribution_statement_min_group
        if required:
            findings.append(
                Finding(
                    Level.ERROR,
                    "contributions",
                    f"no contribution statement, required for a group of {group_size}: add a "
                    "'Contributions' section before the References saying who did what",
                )
            )
        elif group_size is None:
            hint = f" (page 1 lists {emails} email addresses)" if emails >= 2 else ""
            findings.append(
                Finding(
                    Level.WARNING,
                    "contributions",
                    f"no contribution statement found{hint}: groups of "
                    f"{rules.contribution_statement_min_group} or more need a 'Contributions' section; "
                    "pass --group-size 1 if you work alone",
                )
            )

    # Fonts, over the counted pages.
    sizes: Counter[float] = Counter()
    for page in body:
        sizes.update(page.chars_by_size)
    total = sum(sizes.values())
    body_pt = max(sizes, key=lambda s: (sizes[s], s)) if total else None
    small = sum(n for s, n in sizes.items() if s < rules.smallest_font_pt - _FONT_TOLERANCE_PT)
    small_share = small / total if total else 0.0
    if body_pt is not None and body_pt < rules.body_font_pt - _FONT_TOLERANCE_PT:
        findings.append(
            Finding(
                Level.ERROR,
                "fonts",
                f"most text is set in {body_pt:g} pt, smaller than the template's {rules.body_font_pt:g} pt body text",
            )
        )
    if small_share > _SMALL_TEXT_WARN_SHARE:
        findings.append(
            Finding(
                Level.WARNING,
                "fonts",
                f"{small_share:.0%} of the text is smaller than the template's smallest size "
                f"({rules.smallest_font_pt:g} pt): enlarge figure labels and tables",
            )
        )

    return CheckResult(
        path=path,
        pages_total=len(pages),
        pages_counted=counted,
        references_page=references.page if references else None,
        sections_found=found,
        sections_missing=tuple(missing),
        figures=len(figures),
        tables=len(tables),
        contributions=contributions,
        authors_emails=emails,
        body_font_pt=body_pt,
        small_text_share=small_share,
        findings=tuple(findings),
    )


# --- output ---------------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def format_result(result: CheckResult, rubric: Rubric) -> str:
    """The report a student reads, one topic a line, then the problems and a verdict."""
    rules = rubric.rules
    lines = [f"{result.path}"]
    if result.references_page is None:
        where = "no References heading found, so every page counts"
    else:
        where = f"References start on page {result.references_page}"
    lines.append(
        f"  pages:         {result.pages_counted} counted of {result.pages_total} "
        f"(allowed {rules.min_pages} to {rules.max_pages}; {where}; "
        + ("references count toward the limit)" if rules.references_count else "references do not count)")
    )
    for section in rubric.sections:
        if not section.headings:
            continue
        hit = result.sections_found.get(section.id)
        status = f"found: {hit.line!r}, page {hit.page}" if hit else "NOT FOUND"
        lines.append(f"  section:       {section.title} ({section.points} points): {status}")
    lines.append(f"  figures:       {result.figures} with captions")
    lines.append(f"  tables:        {result.tables} with captions")
    if result.contributions:
        contrib = f"found: {result.contributions.line[:40]!r}, page {result.contributions.page}"
    else:
        contrib = "not found"
    lines.append(f"  contributions: {contrib}")
    if result.body_font_pt is not None:
        lines.append(
            f"  fonts:         body {result.body_font_pt:g} pt (template {rules.body_font_pt:g} pt); "
            f"{result.small_text_share:.1%} of the text below {rules.smallest_font_pt:g} pt"
        )
    for finding in result.findings:
        lines.append(f"  {finding.level.value.upper()}: {finding.topic}: {finding.message}")
    if result.ok:
        lines.append(f"OK: nothing breaks the rules ({_count(len(result.warnings), 'warning')})")
    else:
        errors, warnings = _count(len(result.errors), "error"), _count(len(result.warnings), "warning")
        lines.append(f"BREAKS THE RULES: {errors}, {warnings}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.checker", description=__doc__.split("\n")[0])
    parser.add_argument("pdf", help="the report, as a PDF")
    parser.add_argument(
        "--group-size", type=int, default=None, help="students in the group (2 or more need a contribution statement)"
    )
    parser.add_argument("--rubric", default=None, help="rubric.yaml to check against (default: the course's)")
    args = parser.parse_args(argv)
    if args.group_size is not None and not 1 <= args.group_size <= 5:
        print(f"--group-size: expected 1 to 5 students, got {args.group_size}", file=sys.stderr)
        return 2
    rubric = load_rubric(args.rubric) if args.rubric else load_rubric()
    # pypdf logs what it repairs in a damaged file; the checker says what matters itself.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        result = check_pdf(args.pdf, rubric, group_size=args.group_size)
    except UnreadablePdf as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(format_result(result, rubric))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
