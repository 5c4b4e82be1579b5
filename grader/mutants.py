"""Mutants of the reference: the typical bugs students make, generated from the AST.

Only code inside solution regions is mutated (that is what students write). Operators:
sign and operator swaps (``+``/``-``, ``*``/``/``, ``**``), a dropped unary minus,
conditions forced true or false (regularising the biases too, or nothing), the last partial
batch dropped (``range(0, N, B)`` stopping early) and slices one short,
integer off-by-one (``n`` to ``n+1`` and ``n-1``), comparison boundaries (``<``/``<=``),
wrong axis (``axis=0``/``1``/``-1``), ``keepdims`` flipped, reductions swapped
(``sum``/``mean``, ``max``/``min``, ``argmax``/``argmin``), and deleted statements that
update state (``+=``, assignments into an attribute or item, bare calls): a forgotten
regularisation term, a gradient never stored, a skipped update.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from dataclasses import dataclass

from grader.markers import find_regions

_BINOP_SWAP: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
    ast.Pow: ast.Mult,
    ast.MatMult: ast.Mult,
}
_CMP_SWAP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
_NAME_SWAP = {
    "sum": "mean",
    "mean": "sum",
    "max": "min",
    "min": "max",
    "argmax": "argmin",
    "argmin": "argmax",
    "maximum": "minimum",
    "minimum": "maximum",
}


@dataclass(frozen=True)
class Mutant:
    """One changed copy of one student file."""

    file: str  # manifest path
    line: int
    description: str
    source: str

    @property
    def label(self) -> str:
        return f"{self.file}:{self.line}: {self.description}"


def _in_regions(lines: list[str], path: str) -> set[int]:
    return {i + 1 for r in find_regions(lines, path) for i in range(r.begin + 1, r.end)}


def _sites(tree: ast.AST, allowed: set[int]) -> Iterator[tuple[ast.AST, str, object]]:
    """(node, kind, detail) of every mutation site on an allowed line, in a fixed order."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line not in allowed:
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAP:
            yield node, "binop", None
        elif isinstance(node, ast.AugAssign):
            if type(node.op) in _BINOP_SWAP:
                yield node, "augop", None
            yield node, "delete", None
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            yield node, "unary", None
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _CMP_SWAP:
            yield node, "compare", None
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield node, "const", 1
            if node.value != 0:
                yield node, "const", -1
        elif isinstance(node, ast.keyword) and node.arg == "axis":
            yield node, "axis", None
        elif isinstance(node, ast.keyword) and node.arg == "keepdims":
            yield node, "keepdims", None
        elif isinstance(node, ast.Attribute) and node.attr in _NAME_SWAP and isinstance(node.ctx, ast.Load):
            yield node, "name", None
        elif (
            (isinstance(node, ast.Assign) and any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in node.targets))
            or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call))
            or (isinstance(node, ast.Assign) and _self_update(node))
        ):
            yield node, "delete", None
        elif isinstance(node, ast.If):
            yield node, "cond", True
            yield node, "cond", False
        elif isinstance(node, ast.IfExp):
            yield node, "ifexp", "body"
            yield node, "ifexp", "orelse"
        elif isinstance(node, ast.Slice) and node.upper is not None:
            yield node, "slice", None
        is_range = isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
        if is_range and len(node.args) == 3:
            yield node, "range", None


def _self_update(node: ast.Assign) -> bool:
    """``x = f(x, ...)``: a variable updated from itself (``grad = grad + reg * W``)."""
    if len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name):
        return False
    name = node.targets[0].id
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value))


def _apply(node: ast.AST, kind: str, detail: object) -> str | None:
    """Mutate ``node`` in place; returns a description, or None when not applicable."""
    if kind in ("binop", "augop"):
        old = type(node.op)
        new = _BINOP_SWAP[old]
        node.op = new()
        return f"operator {_sym(old)} -> {_sym(new)}"
    if kind == "unary":
        return "dropped a unary minus"
    if kind == "compare":
        old = type(node.ops[0])
        node.ops = [_CMP_SWAP[old]()]
        return f"comparison {_sym(old)} -> {_sym(_CMP_SWAP[old])}"
    if kind == "const":
        old = node.value
        node.value = old + int(detail)
        return f"constant {old} -> {node.value}"
    if kind == "axis":
        v = node.value
        if isinstance(v, ast.Constant) and v.value in (0, 1, -1):
            new = {0: 1, 1: 0, -1: 0}[v.value]
        elif isinstance(v, ast.UnaryOp) and isinstance(v.operand, ast.Constant) and v.operand.value == 1:
            new = 0
        else:
            return None
        node.value = ast.Constant(new)
        return f"axis -> {new}"
    if kind == "keepdims":
        if not isinstance(node.value, ast.Constant) or not isinstance(node.value.value, bool):
            return None
        node.value = ast.Constant(not node.value.value)
        return f"keepdims -> {node.value.value}"
    if kind == "cond":
        node.test = ast.Constant(bool(detail))
        return f"if-condition always {detail}"
    if kind == "slice":
        node.upper = ast.BinOp(node.upper, ast.Sub(), ast.Constant(1))
        return "slice end - 1"
    if kind == "range":
        start, stop, step = node.args
        node.args = [start, ast.BinOp(ast.BinOp(stop, ast.Sub(), step), ast.Add(), ast.Constant(1)), step]
        return "range drops the last partial step"
    if kind == "name":
        old = node.attr
        node.attr = _NAME_SWAP[old]
        return f"{old} -> {node.attr}"
    raise AssertionError(kind)


_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}


def _sym(op: type) -> str:
    return _SYMBOLS.get(op, op.__name__)


class _Replace(ast.NodeTransformer):
    """Replace one node (found by identity) by another node, or by ``pass``."""

    def __init__(self, target: ast.AST, replacement: ast.AST) -> None:
        self.target, self.replacement = target, replacement

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if node is self.target:
            return self.replacement
        return super().generic_visit(node)


def mutants_of(path: str, source: str) -> list[Mutant]:
    """Every mutant of the solution regions of one file, deterministic order."""
    lines = source.splitlines(keepends=True)
    allowed = _in_regions(lines, path)
    base = ast.parse(source)
    n_sites = sum(1 for _ in _sites(base, allowed))
    out: list[Mutant] = []
    seen: set[str] = set()
    for i in range(n_sites):
        tree = copy.deepcopy(base)
        node, kind, detail = list(_sites(tree, allowed))[i]
        line = node.lineno
        if kind == "delete":
            tree = _Replace(node, ast.Pass()).visit(tree)
            desc = f"deleted `{ast.unparse(node)[:60]}`"
        elif kind == "unary":
            tree = _Replace(node, node.operand).visit(tree)
            desc = "dropped a unary minus"
        elif kind == "ifexp":
            tree = _Replace(node, getattr(node, str(detail))).visit(tree)
            desc = f"conditional expression always takes its {'if' if detail == 'body' else 'else'} branch"
        else:
            desc = _apply(node, kind, detail)
            if desc is None:
                continue
        ast.fix_missing_locations(tree)
        text = ast.unparse(tree)
        if text in seen:
            continue
        seen.add(text)
        out.append(Mutant(path, line, desc, text + "\n"))
    return out
