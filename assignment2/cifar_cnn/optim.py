"""Stochastic gradient descent with L2 regularisation and classical momentum, over the layers of a network.

The layers compute the gradient of the data loss only; the optimizer adds the
regularisation. For a layer with parameters ``w`` (weights) and ``b`` (bias) and their
gradients ``dw`` and ``db`` (set by the layer's ``backward``):

- regularisation loss ``R = 0.5 * reg * sum over layers of sum(w ** 2)``: weights only, no biases;
- effective gradient ``g' = dw + reg * w`` for weights, ``g' = db`` for biases;
- velocity (one per parameter, zeros before the first step) ``v = momentum * v - learning_rate * g'``;
- update, in place: ``w += v`` (the array the layer holds, not a new one).

With ``momentum = 0`` this is plain SGD, ``w -= learning_rate * g'``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

PARAMS = (("w", "dw"), ("b", "db"))  # (parameter, gradient) attribute names of a layer


class SGD:
    """SGD with L2 regularisation on weights and classical momentum (formulas in the module docstring).

    Args:
        learning_rate: step size, > 0. The training loop may change it between epochs.
        reg: L2 strength ``reg`` >= 0 (default 0).
        momentum: ``momentum`` in [0, 1) (default 0: plain SGD).

    ``step(layers)`` and ``regularization_loss(layers)`` take the layers with parameters (for
    example ``ConvNet.parametric``), always the same ones in the same order: the velocity of
    parameter ``name`` of the ``i``-th layer is ``self.velocity[(i, name)]``.
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
        self.velocity: dict[tuple[int, str], np.ndarray] = {}  # (layer index, "w" or "b") -> v

    def step(self, layers: Sequence[Any]) -> None:
        """Update ``w`` and ``b`` of every layer in place from ``dw`` and ``db``; keep the velocities here."""
        for i, layer in enumerate(layers):
            for name, grad_name in PARAMS:
                param, grad = getattr(layer, name), getattr(layer, grad_name, None)
                if grad is None or grad.shape != param.shape:
                    shape = None if grad is None else grad.shape
                    raise ValueError(f"layers[{i}].{grad_name}: expected shape {param.shape}, got {shape}")
                if (i, name) not in self.velocity:
                    self.velocity[(i, name)] = np.zeros_like(param)
        # BEGIN SOLUTION
        for i, layer in enumerate(layers):
            for name, grad_name in PARAMS:
                param, grad = getattr(layer, name), getattr(layer, grad_name)
                if name == "w":
                    grad = grad + self.reg * param
                self.velocity[(i, name)] = self.momentum * self.velocity[(i, name)] - self.learning_rate * grad
                param += self.velocity[(i, name)]
        # END SOLUTION

    def regularization_loss(self, layers: Sequence[Any]) -> float:
        """``0.5 * reg * sum(w ** 2)`` over the layers' weights (not the biases), a Python float."""
        # BEGIN SOLUTION
        squares = sum(float(np.sum(layer.w * layer.w)) for layer in layers)
        return 0.5 * self.reg * squares
        # END SOLUTION
