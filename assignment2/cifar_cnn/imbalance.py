"""Long-tailed CIFAR-10: keep an exponentially decreasing number of training images per class.

The profile of Cui et al. (CVPR 2019): class ``c`` of ``K`` keeps

    n_c = int(n_max * (1 / imbalance_factor) ** (c / (K - 1)))

images (``int`` rounds down), so class 0 keeps ``n_max`` and class ``K - 1`` keeps
``n_max / imbalance_factor``. With 5,000 images a class and a factor of 100 this is
5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50. Only the training set is cut; the test
set stays balanced.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def long_tailed_counts(n_max: int, num_classes: int, imbalance_factor: float) -> list[int]:
    """``[n_0, ..., n_{K-1}]`` with ``n_c = int(n_max * (1 / imbalance_factor) ** (c / (K - 1)))``, Python ints."""
    if n_max < 1 or num_classes < 2:
        raise ValueError(f"need n_max >= 1 and num_classes >= 2, got {n_max} and {num_classes}")
    if not imbalance_factor >= 1:
        raise ValueError(f"imbalance_factor: expected >= 1, got {imbalance_factor}")
    # BEGIN SOLUTION
    return [int(n_max * (1 / imbalance_factor) ** (c / (num_classes - 1))) for c in range(num_classes)]
    # END SOLUTION


def long_tailed_indices(labels: np.ndarray, counts: Sequence[int]) -> np.ndarray:
    """Indices of the examples kept: the first ``counts[c]`` examples of each class ``c`` in data order.

    Args:
        labels: ``(N,)`` integer labels in ``[0, K)``, ``K = len(counts)``.
        counts: how many examples of each class to keep.

    Returns:
        ``(sum(counts),)`` int64 indices into ``labels``, sorted in increasing order.
    """
    labels = np.asarray(labels)
    available = np.bincount(labels, minlength=len(counts))
    if labels.ndim != 1 or len(available) != len(counts):
        raise ValueError(f"labels: expected (N,) labels in [0, {len(counts)}), got shape {labels.shape}")
    short = [c for c, n in enumerate(counts) if not 0 <= n <= available[c]]
    if short:
        c = short[0]
        raise ValueError(f"counts[{c}] = {counts[c]}: class {c} has {available[c]} examples")
    # BEGIN SOLUTION
    kept = [np.flatnonzero(labels == c)[:n] for c, n in enumerate(counts)]
    return np.sort(np.concatenate(kept)).astype(np.int64)
    # END SOLUTION
