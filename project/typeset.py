"""Compile a Typst source to PDF with the compiler the ``typst`` Python package carries.

``python -m project.typeset templates/typst/report.typ report.pdf``

Only the fonts built into the compiler are used (never the machine's), so the PDF is the same
on every machine, offline. Errors name the file, line and Typst's message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import typst


class TypesetError(RuntimeError):
    """The Typst source did not compile."""


def compile_typst(source: str | Path, output: str | Path | None = None, root: str | Path | None = None) -> bytes:
    """Compile ``source`` (a .typ file) to PDF; write it to ``output`` when given; return the PDF's bytes.

    Args:
        source: the main .typ file.
        output: where to write the PDF (default: nowhere, only returned).
        root: the folder Typst may read files from (default: the source's folder).
    """
    source = Path(source)
    if not source.is_file():
        raise TypesetError(f"{source}: no such Typst file")
    compiler = typst.Compiler(
        str(source), root=str(Path(root) if root else source.parent.resolve()), ignore_system_fonts=True
    )
    try:
        pdf = compiler.compile(format="pdf")
    except typst.TypstError as exc:
        hints = "".join(f"\n  hint: {h}" for h in getattr(exc, "hints", []) or [])
        raise TypesetError(f"{source}: {getattr(exc, 'diagnostic', None) or exc}{hints}") from None
    assert isinstance(pdf, bytes), "a PDF compiles to one file"
    if output is not None:
        Path(output).write_bytes(pdf)
    return pdf


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.typeset", description=__doc__.split("\n")[0])
    parser.add_argument("source", help="the .typ file to compile")
    parser.add_argument("output", help="the PDF to write")
    args = parser.parse_args(argv)
    try:
        pdf = compile_typst(args.source, args.output)
    except TypesetError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({len(pdf) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
