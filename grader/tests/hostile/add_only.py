"""Honest baseline: add is right, scale and row_sums are not written. Worth 3 of 6."""

import numpy as np


def add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def scale(x: np.ndarray, s: float) -> np.ndarray:
    raise NotImplementedError("scale")


def row_sums(x: np.ndarray) -> np.ndarray:
    raise NotImplementedError("row_sums")
