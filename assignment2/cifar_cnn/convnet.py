"""A network as a chain of layers (layers.py) followed by a loss, with its forward and backward pass.

``ConvNet([Conv2d(...), ReLU(), MaxPool2d(2), Linear(...)])`` computes class scores by
calling each layer's ``forward`` in turn; ``forward(x, y)`` also applies the criterion
(``SoftmaxCrossEntropy`` unless another is given) and returns the mean loss; ``backward()``
then runs the criterion's ``backward`` and every layer's ``backward`` in reverse order, so
that each layer with parameters holds ``dw`` and ``db``. The optimizer (optim.py) reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from cifar_cnn.layers import Conv2d, Linear, MaxPool2d, ReLU, SoftmaxCrossEntropy, output_size


class ConvNet:
    """Layers applied in order, then a criterion.

    Args:
        layers: objects with ``forward(x)`` and ``backward(dout)`` (see layers.py).
        criterion: the loss, with ``forward(scores, y) -> float`` and ``backward() -> dscores``
            (default ``SoftmaxCrossEntropy()``).

    Shape: x ``(N, ...)`` (what the first layer takes) -> scores ``(N, K)``.
    """

    def __init__(self, layers: Sequence[Any], criterion: Any | None = None) -> None:
        if not layers:
            raise ValueError("layers: expected at least one layer, got none")
        self.layers = list(layers)
        self.criterion = SoftmaxCrossEntropy() if criterion is None else criterion

    @property
    def parametric(self) -> list[Any]:
        """The layers with parameters (``w`` and ``b``), in order: what the optimizer updates."""
        return [layer for layer in self.layers if hasattr(layer, "w")]

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Class scores: each layer's ``forward`` applied in turn to ``x``."""
        # BEGIN SOLUTION
        for layer in self.layers:
            x = layer.forward(x)
        return x
        # END SOLUTION

    def forward(self, x: np.ndarray, y: np.ndarray) -> float:
        """The criterion's loss (a Python float) on the scores of ``x`` and the labels ``y``."""
        # BEGIN SOLUTION
        return self.criterion.forward(self.scores(x), y)
        # END SOLUTION

    def backward(self) -> np.ndarray:
        """Backpropagate from the loss of the last ``forward``: the criterion, then the layers in reverse.

        Returns the gradient with respect to the input ``x``; each layer keeps its own ``dx``
        (and ``dw``, ``db``).
        """
        # BEGIN SOLUTION
        dout = self.criterion.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout
        # END SOLUTION

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted class of each example: ``(N,)`` int64."""
        return np.argmax(self.scores(x), axis=1)


def small_convnet(
    in_channels: int = 3,
    image_size: int = 32,
    num_classes: int = 10,
    channels: int = 16,
    rng: np.random.Generator | None = None,
    dtype: type = np.float32,
) -> ConvNet:
    """conv 3x3 (padding 1) -> ReLU -> 2x2 max pool -> linear: a small network for the tests and demos."""
    rng = np.random.default_rng() if rng is None else rng
    pooled = output_size(image_size, 2, 2)
    return ConvNet(
        [
            Conv2d(in_channels, channels, 3, padding=1, rng=rng, dtype=dtype),
            ReLU(),
            MaxPool2d(2),
            Linear(channels * pooled * pooled, num_classes, rng=rng, dtype=dtype),
        ]
    )
