"""Compare a case's outputs with the reference's, in the trusted process, on plain arrays.

Order of checks, each with a message that says what to fix: missing keys, shape, dtype
kind (the dtype itself, for a case that promises one), non-finite values, then tolerance
with the worst entry and where it is. For hidden cases (``reveal=False``) no message holds
a number from which an expected value follows: not the expected value, and neither the
student's value nor the exact error beside it, only where the worst entry is and the order
of magnitude of the miss.
"""

from __future__ import annotations

import numpy as np

from grader.cases import Arrays

_KIND = {"b": "bool", "i": "integer", "u": "integer", "f": "floating", "c": "complex"}


def _kind(dtype: np.dtype) -> str:
    return _KIND.get(dtype.kind, str(dtype))


def shape_text(shape: object) -> str:
    """A shape as students write it, ``(3, 10)``: plain integers, never ``np.int64(3)``."""
    try:
        dims = tuple(int(n) for n in shape)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return repr(shape)
    return str(dims)


def compare_one(
    key: str, got: np.ndarray, exp: np.ndarray, atol: float, rtol: float, reveal: bool, exact_dtype: bool = False
) -> str | None:
    """None when ``got`` matches ``exp``, else one line saying how it differs. With
    ``exact_dtype`` the dtype itself must match (float32 in, float32 out), not only its kind."""
    got = np.asarray(got).view(np.ndarray)
    exp = np.asarray(exp).view(np.ndarray)
    if got.shape != exp.shape:
        return f"{key}: shape {shape_text(got.shape)}, expected {shape_text(exp.shape)}"
    g_kind, e_kind = _kind(got.dtype), _kind(exp.dtype)
    if g_kind != e_kind:
        return f"{key}: dtype {got.dtype} ({g_kind}), expected a {e_kind} dtype ({exp.dtype})"
    if exact_dtype and got.dtype != exp.dtype:
        return f"{key}: dtype {got.dtype}, expected {exp.dtype} (the dtype of the input)"
    if got.size == 0:
        return None
    if e_kind in ("bool", "integer"):
        bad = np.argwhere(np.atleast_1d(got != exp))  # argwhere of a 0-d array finds nothing
        if bad.size:
            idx = tuple(int(i) for i in bad[0]) if got.ndim else ()
            detail = f": got {got[idx]}, expected {exp[idx]}" if reveal else ""
            return f"{key}: {len(bad)} of {got.size} entries differ; first at {idx}{detail}"
        return None
    g64 = got.astype(np.complex128 if e_kind == "complex" else np.float64)
    e64 = exp.astype(np.complex128 if e_kind == "complex" else np.float64)
    g_nan, e_nan = np.isnan(g64), np.isnan(e64)
    if np.any(g_nan != e_nan):
        idx = tuple(int(i) for i in np.argwhere(g_nan != e_nan)[0])
        what = "NaN" if g_nan[idx] else "a number"
        return f"{key}: got {what} at {idx} where {'a number' if g_nan[idx] else 'NaN'} was expected"
    g_inf, e_inf = np.isinf(g64), np.isinf(e64)
    if np.any(g_inf != e_inf) or np.any(g64[e_inf] != e64[e_inf]):
        idx = tuple(int(i) for i in np.argwhere((g_inf != e_inf) | (e_inf & (g64 != e64)))[0])
        if not reveal:
            return f"{key}: an infinity at {idx} does not match the reference"
        return f"{key}: got {got[idx]} at {idx}; infinities must match the reference"
    finite = ~(e_nan | e_inf)
    err = np.where(finite, np.abs(g64 - e64), 0.0)
    allowed = atol + rtol * np.abs(np.where(finite, e64, 0.0))
    over = err > allowed
    if np.any(over):
        ratio = np.where(over, err / np.maximum(allowed, 1e-300), 0.0)
        idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(ratio)), ratio.shape))
        head = f"{key}: {int(over.sum())} of {got.size} entries outside tolerance (atol={atol:g}, rtol={rtol:g})"
        if reveal:
            return f"{head}; worst at {idx}: got {g64[idx]:.6g}, expected {e64[idx]:.6g}, error {err[idx]:.3g}"
        # Hidden: where, and the order of magnitude of the miss, but no number from which the
        # expected value follows (got and its exact error would give it away).
        return f"{head}; worst at {idx}, off by about {_magnitude(ratio[idx])} times the tolerance"
    return None


def _magnitude(ratio: float) -> str:
    """A power of ten near ``ratio`` (>= 1), as text: "10", "1e+03"."""
    power = int(np.floor(np.log10(max(float(ratio), 1.0)) + 0.5)) if np.isfinite(ratio) else 300
    return f"{10.0**power:g}"


def compare_outputs(
    got: Arrays, expected: Arrays, atol: float, rtol: float, reveal: bool, exact_dtype: bool = False
) -> list[str]:
    """Every difference between two output dicts, one line each (empty when they match)."""
    problems: list[str] = []
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing:
        problems.append(f"missing outputs: {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected outputs: {', '.join(extra)}")
    for key in sorted(set(expected) & set(got)):
        msg = compare_one(key, got[key], expected[key], atol, rtol, reveal, exact_dtype)
        if msg:
            problems.append(msg)
    return problems
