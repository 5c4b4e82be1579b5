"""Activations, softmax, cross-entropy and accuracy: the math of the MLP, as pure functions.

Every function here takes arrays and returns new arrays; none modifies its inputs. Shapes:
``N`` examples in a batch, ``K`` classes. Each activation comes with its derivative, side by
side, and the derivative takes the activation's *input* ``x`` (not its output).
"""

from __future__ import annotations

import numpy as np

# Probabilities are clipped below at this value before the log in ``cross_entropy``, so a
# confidently wrong prediction (a probability that underflowed to exactly 0) gives a large
# finite loss instead of ``inf``.
LOG_EPS = 1e-12


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function ``sigma(x) = 1 / (1 + exp(-x))``, elementwise.

    Shape: any; the output has the shape and float dtype of ``x``.
    """
    # BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-x))
    # END SOLUTION


def sigmoid_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid at ``x``: ``sigma(x) * (1 - sigma(x))``, elementwise.

    Shape: any; the output has the shape and float dtype of ``x``.
    """
    # BEGIN SOLUTION
    s = sigmoid(x)
    return s * (1.0 - s)
    # END SOLUTION


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(x, 0)``, elementwise.

    Shape: any; the output has the shape and dtype of ``x``.
    """
    # BEGIN SOLUTION
    return np.maximum(x, 0)
    # END SOLUTION


def relu_grad(x: np.ndarray) -> np.ndarray:
    """Derivative of ReLU at ``x``: 1 where ``x > 0``, else 0 (we take 0 at ``x == 0``).

    Shape: any; the output has the shape and dtype of ``x`` (float, not bool).
    """
    # BEGIN SOLUTION
    return (x > 0).astype(x.dtype)
    # END SOLUTION


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax ``p[i, k] = exp(z[i, k]) / sum_j exp(z[i, j])``, numerically stable.

    Subtract each row's maximum before ``exp`` (softmax does not change when a constant is
    added to a row), so logits of any size, like ``1e4``, give exact finite probabilities.

    Shape: logits ``(N, K)`` -> probabilities ``(N, K)``, each row summing to 1, same dtype.
    """
    if logits.ndim != 2:
        raise ValueError(f"logits: expected shape (N, K), got {logits.shape}")
    # BEGIN SOLUTION
    shifted = logits - logits.max(axis=1, keepdims=True)  # (N, K), largest entry 0 per row
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
    # END SOLUTION


def cross_entropy(probs: np.ndarray, y: np.ndarray) -> float:
    """Mean cross-entropy ``L = -(1/N) * sum_i log(p[i, y_i])``.

    Each ``p[i, y_i]`` is clipped below at ``LOG_EPS`` (``1e-12``) before the log:
    ``log(max(p[i, y_i], LOG_EPS))``.

    Args:
        probs: ``(N, K)`` probabilities (rows of a softmax).
        y: ``(N,)`` integer labels in ``[0, K)``.

    Returns:
        The mean loss over the batch, a Python float.
    """
    if probs.ndim != 2 or y.shape != (probs.shape[0],):
        raise ValueError(f"probs (N, K) and y (N,) expected, got {probs.shape} and {y.shape}")
    # BEGIN SOLUTION
    N = probs.shape[0]
    correct = probs[np.arange(N), y]  # (N,) probability of each true class
    return float(-np.mean(np.log(np.maximum(correct, LOG_EPS))))
    # END SOLUTION


def accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose largest score is at the true label: ``mean(argmax_k s[i, k] == y_i)``.

    Args:
        scores: ``(N, K)`` probabilities or logits (the argmax is the same).
        y: ``(N,)`` integer labels.

    Returns:
        A Python float in ``[0, 1]``.
    """
    if scores.ndim != 2 or y.shape != (scores.shape[0],):
        raise ValueError(f"scores (N, K) and y (N,) expected, got {scores.shape} and {y.shape}")
    # BEGIN SOLUTION
    return float(np.mean(np.argmax(scores, axis=1) == y))
    # END SOLUTION
