"""Two classifiers for flattened images: softmax regression and a two-layer network.

Both keep their parameters in ``self.params`` and, after ``forward(X, y, train=True)``, the
gradient of the mean cross-entropy with respect to each parameter in ``self.grads`` (same
keys, same shapes). Neither adds a regularisation term: the optimizer does (see optim.py).

Shapes: ``N`` examples, ``D`` input features (784 for MNIST), ``H`` hidden units, ``K``
classes. Weights are named ``W...`` and biases ``b...``; the optimizer relies on that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from mnist_mlp.functional import accuracy, cross_entropy, relu, relu_grad, sigmoid, sigmoid_grad, softmax

# activation name -> (function, derivative with respect to its input)
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
}


def _check_batch(X: np.ndarray, y: np.ndarray | None, D: int, K: int) -> None:
    """Raise ValueError unless X is (N, D) with N >= 1 and y (if given) is (N,) integers in [0, K)."""
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.shape[1] != D or X.shape[0] < 1:
        raise ValueError(f"X: expected an array of shape (N, D) with D = {D}, got {getattr(X, 'shape', type(X))}")
    if y is None:
        return
    N = X.shape[0]
    if not isinstance(y, np.ndarray) or y.shape != (N,) or y.dtype.kind not in "iu":
        raise ValueError(f"y: expected integer labels of shape (N,) = ({N},), got {getattr(y, 'shape', type(y))}")
    if y.min() < 0 or y.max() >= K:
        raise ValueError(f"y: labels must lie in [0, K) = [0, {K}), got min {y.min()} and max {y.max()}")


class SoftmaxRegression:
    """Linear classifier ``scores = X @ W + b`` followed by a softmax.

    Args:
        input_dim: ``D``, features per example (default 784).
        num_classes: ``K`` (default 10).
        rng: generator for the initial weights; ``None`` uses an unseeded one.
        weight_scale: standard deviation of the Gaussian initial weights (default 0.001).
        dtype: float type of the parameters (default float32, like the data).

    Parameters: ``W`` ``(D, K)``, ``b`` ``(K,)`` (zeros at first).

    Shape: X ``(N, D)`` -> scores ``(N, K)``.
    """

    def __init__(
        self,
        input_dim: int = 784,
        num_classes: int = 10,
        rng: np.random.Generator | None = None,
        weight_scale: float = 0.001,
        dtype: type = np.float32,
    ) -> None:
        if input_dim < 1 or num_classes < 2:
            raise ValueError(f"need input_dim >= 1 and num_classes >= 2, got {input_dim} and {num_classes}")
        rng = np.random.default_rng() if rng is None else rng
        self.input_dim, self.num_classes = input_dim, num_classes
        self.params: dict[str, np.ndarray] = {
            "W": (weight_scale * rng.standard_normal((input_dim, num_classes))).astype(dtype),
            "b": np.zeros(num_classes, dtype=dtype),
        }
        self.grads: dict[str, np.ndarray] = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward_scores(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Class scores (logits) ``X @ W + b``: X ``(N, D)`` -> scores ``(N, K)``, and the cache ``X``."""
        _check_batch(X, None, self.input_dim, self.num_classes)
        # BEGIN SOLUTION
        scores = X @ self.params["W"] + self.params["b"]
        return scores, X
        # END SOLUTION

    def forward(self, X: np.ndarray, y: np.ndarray, train: bool = False) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on a batch; with ``train=True`` also fills ``self.grads``.

        With ``P = softmax(scores)`` and ``Y`` the one-hot labels ``(N, K)``, the gradient of the
        mean loss with respect to the scores is ``dscores = (P - Y) / N``; then
        ``dW = X.T @ dscores`` ``(D, K)`` and ``db = dscores.sum(axis=0)`` ``(K,)``.

        Args:
            X: ``(N, D)`` inputs. y: ``(N,)`` integer labels in ``[0, K)``.
            train: compute the gradients too (``False``: ``self.grads`` is left as it was).

        Returns:
            ``(loss, accuracy)``, two Python floats.
        """
        _check_batch(X, y, self.input_dim, self.num_classes)
        # BEGIN SOLUTION
        N = X.shape[0]
        scores, X = self.forward_scores(X)
        probs = softmax(scores)
        loss, acc = cross_entropy(probs, y), accuracy(scores, y)
        if train:
            dscores = probs.copy()
            dscores[np.arange(N), y] -= 1
            dscores /= N
            self.grads["W"] = X.T @ dscores
            self.grads["b"] = dscores.sum(axis=0)
        return loss, acc
        # END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class of each row: X ``(N, D)`` -> ``(N,)`` int64."""
        scores, _ = self.forward_scores(X)
        return np.argmax(scores, axis=1)


class TwoLayerCache(NamedTuple):
    """What ``TwoLayerNet.backward`` needs from the forward pass."""

    X: np.ndarray  # (N, D) input
    z1: np.ndarray  # (N, H) hidden pre-activation, X @ W1 + b1
    h1: np.ndarray  # (N, H) hidden activation, act(z1)


class TwoLayerNet:
    """``scores = act(X @ W1 + b1) @ W2 + b2``, with act ReLU or sigmoid, followed by a softmax.

    Args:
        input_dim: ``D``. hidden_dim: ``H``. num_classes: ``K``.
        activation: ``"relu"`` or ``"sigmoid"``.
        rng: generator for the initial weights; ``None`` uses an unseeded one.
        dtype: float type of the parameters (default float32, like the data).

    Parameters: ``W1`` ``(D, H)``, ``b1`` ``(H,)``, ``W2`` ``(H, K)``, ``b2`` ``(K,)``. Weights
    start Gaussian with standard deviation ``sqrt(2 / fan_in)`` for ReLU (He) and
    ``sqrt(1 / fan_in)`` for sigmoid (Xavier); biases start at zero.

    Shape: X ``(N, D)`` -> scores ``(N, K)``.
    """

    def __init__(
        self,
        input_dim: int = 784,
        hidden_dim: int = 100,
        num_classes: int = 10,
        activation: str = "relu",
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if input_dim < 1 or hidden_dim < 1 or num_classes < 2:
            raise ValueError(
                f"need input_dim, hidden_dim >= 1 and num_classes >= 2, got {input_dim}, {hidden_dim}, {num_classes}"
            )
        rng = np.random.default_rng() if rng is None else rng
        self.input_dim, self.hidden_dim, self.num_classes = input_dim, hidden_dim, num_classes
        self.activation = activation
        self.act, self.act_grad = ACTIVATIONS[activation]
        gain = 2.0 if activation == "relu" else 1.0
        self.params: dict[str, np.ndarray] = {
            "W1": (np.sqrt(gain / input_dim) * rng.standard_normal((input_dim, hidden_dim))).astype(dtype),
            "b1": np.zeros(hidden_dim, dtype=dtype),
            "W2": (np.sqrt(gain / hidden_dim) * rng.standard_normal((hidden_dim, num_classes))).astype(dtype),
            "b2": np.zeros(num_classes, dtype=dtype),
        }
        self.grads: dict[str, np.ndarray] = {k: np.zeros_like(v) for k, v in self.params.items()}

    def forward_scores(self, X: np.ndarray) -> tuple[np.ndarray, TwoLayerCache]:
        """Class scores: X ``(N, D)`` -> scores ``(N, K)``, and the cache for the backward pass.

        ``z1 = X @ W1 + b1`` ``(N, H)``, ``h1 = act(z1)`` with ``self.act``, ``scores = h1 @ W2 + b2``.
        """
        _check_batch(X, None, self.input_dim, self.num_classes)
        # BEGIN SOLUTION
        z1 = X @ self.params["W1"] + self.params["b1"]  # (N, H)
        h1 = self.act(z1)  # (N, H)
        scores = h1 @ self.params["W2"] + self.params["b2"]  # (N, K)
        return scores, TwoLayerCache(X, z1, h1)
        # END SOLUTION

    def forward(self, X: np.ndarray, y: np.ndarray, train: bool = False) -> tuple[float, float]:
        """Mean cross-entropy and accuracy on a batch; with ``train=True`` also fills ``self.grads``.

        Backward pass, from ``dscores = (softmax(scores) - Y) / N`` ``(N, K)``:
        ``dW2 = h1.T @ dscores``, ``db2 = dscores.sum(axis=0)``, ``dh1 = dscores @ W2.T`` ``(N, H)``,
        ``dz1 = dh1 * act_grad(z1)`` (``self.act_grad``), ``dW1 = X.T @ dz1``, ``db1 = dz1.sum(axis=0)``.

        Args:
            X: ``(N, D)`` inputs. y: ``(N,)`` integer labels in ``[0, K)``.
            train: compute the gradients too (``False``: ``self.grads`` is left as it was).

        Returns:
            ``(loss, accuracy)``, two Python floats.
        """
        _check_batch(X, y, self.input_dim, self.num_classes)
        # BEGIN SOLUTION
        N = X.shape[0]
        scores, cache = self.forward_scores(X)
        probs = softmax(scores)
        loss, acc = cross_entropy(probs, y), accuracy(scores, y)
        if train:
            dscores = probs.copy()  # (N, K)
            dscores[np.arange(N), y] -= 1
            dscores /= N
            self.grads["W2"] = cache.h1.T @ dscores  # (H, K)
            self.grads["b2"] = dscores.sum(axis=0)
            dh1 = dscores @ self.params["W2"].T  # (N, H)
            dz1 = dh1 * self.act_grad(cache.z1)
            self.grads["W1"] = cache.X.T @ dz1  # (D, H)
            self.grads["b1"] = dz1.sum(axis=0)
        return loss, acc
        # END SOLUTION

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class of each row: X ``(N, D)`` -> ``(N,)`` int64."""
        scores, _ = self.forward_scores(X)
        return np.argmax(scores, axis=1)
