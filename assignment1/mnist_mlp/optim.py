"""Stochastic gradient descent with L2 regularisation and classical momentum.

The model computes the gradient of the data loss only (mean cross-entropy); the optimizer
adds the regularisation. Conventions, for a parameter ``p`` with gradient ``g``:

- regularisation loss ``R = 0.5 * reg * sum over weights W of sum(W ** 2)``: only keys that
  start with ``"W"``; biases (``"b..."``) are not regularised. The 0.5 makes its gradient
  ``reg * W`` rather than ``2 * reg * W``;
- effective gradient ``g' = g + reg * p`` for weights, ``g' = g`` for biases;
- velocity (one per key, zeros before the first step) ``v = momentum * v - learning_rate * g'``;
- update, in place: ``p += v``.

With ``momentum = 0`` this is plain SGD, ``p -= learning_rate * g'``.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Model(Protocol):
    """What the optimizer needs from a model: parameters and their gradients, same keys and shapes."""

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]


class SGD:
    """SGD with L2 regularisation on weights and classical momentum (formulas in the module docstring).

    Args:
        learning_rate: step size, > 0. The training loop may change it between epochs.
        reg: L2 strength ``reg`` >= 0 (default 0).
        momentum: ``momentum`` in [0, 1) (default 0: plain SGD).
    """

    def __init__(self, learning_rate: float, reg: float = 0.0, momentum: float = 0.0) -> None:
        if not learning_rate > 0:
            raise ValueError(f"learning_rate: expected > 0, got {learning_rate}")
        if not reg >= 0:
            raise ValueError(f"reg: expected >= 0, got {reg}")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum: expected in [0, 1), got {momentum}")
        self.learning_rate = float(learning_rate)
        self.reg = float(reg)
        self.momentum = float(momentum)
        self.velocity: dict[str, np.ndarray] = {}  # key -> v, shaped like the parameter

    def step(self, model: Model) -> None:
        """Update every array of ``model.params`` in place from ``model.grads``; keep velocities here."""
        for key, param in model.params.items():
            grad = model.grads.get(key)
            if grad is None or grad.shape != param.shape:
                shape = None if grad is None else grad.shape
                raise ValueError(f"model.grads[{key!r}]: expected shape {param.shape}, got {shape}")
            if key not in self.velocity:
                self.velocity[key] = np.zeros_like(param)
        # BEGIN SOLUTION
        for key, param in model.params.items():
            grad = model.grads[key]
            if key.startswith("W"):
                grad = grad + self.reg * param
            self.velocity[key] = self.momentum * self.velocity[key] - self.learning_rate * grad
            param += self.velocity[key]
        # END SOLUTION

    def regularization_loss(self, model: Model) -> float:
        """``0.5 * reg * sum(W ** 2)`` over the weights (keys starting with ``"W"``), a Python float."""
        # BEGIN SOLUTION
        squares = sum(float(np.sum(W * W)) for key, W in model.params.items() if key.startswith("W"))
        return 0.5 * self.reg * squares
        # END SOLUTION
