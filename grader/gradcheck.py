"""Numerical gradients by centred differences, for checking analytic backward passes.

One checker serves every layer: it takes the upstream gradient ``dout`` and returns the
gradient of ``sum(f(x) * dout)`` with respect to ``x``. Imported by the child during the
oracle run (``Case.verify``) and by the tests of the reference, so it needs only NumPy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(
    f: Callable[[], np.ndarray | float],
    x: np.ndarray,
    dout: np.ndarray | float = 1.0,
    h: float = 1e-6,
) -> np.ndarray:
    """Gradient of ``sum(f() * dout)`` with respect to ``x``, which ``f`` reads in place.

    Args:
        f: function of no arguments that reads ``x`` (for example a closure over it).
        x: float64 array, perturbed in place one entry at a time and restored after
            each entry, also when ``f`` raises.
        dout: upstream gradient, shaped like ``f()`` (a scalar for a loss).
        h: step of the centred difference.

    Returns:
        An array shaped like ``x``.
    """
    if x.dtype != np.float64:
        raise TypeError(f"x: expected float64 for a numerical gradient, got {x.dtype}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        try:
            x[idx] = old + h
            plus = np.sum(np.asarray(f(), dtype=np.float64) * dout)
            x[idx] = old - h
            minus = np.sum(np.asarray(f(), dtype=np.float64) * dout)
        finally:
            x[idx] = old
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, eps: float = 1e-8) -> float:
    """Largest elementwise ``|a - b| / max(|a| + |b|, eps)``, the usual gradient-check metric."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def assert_gradient_close(analytic: np.ndarray, numeric: np.ndarray, name: str, tol: float = 1e-6) -> None:
    """Raise AssertionError naming ``name`` when the two gradients differ beyond ``tol``.

    Entries far below the gradient's own scale (under 1e-4 of its largest) are compared
    against that floor, not against themselves: there, centred differences carry rounding
    noise of the whole function's size, and random inputs (salted per course) hit such
    entries now and then.
    """
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(n), initial=0.0)))
    err = relative_error(a, n, eps=max(1e-8, 1e-4 * scale))
    if not err <= tol:
        raise AssertionError(f"{name}: analytic and numerical gradients differ, relative error {err:.2e} > {tol:.0e}")
