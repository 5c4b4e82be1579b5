"""Layers of a convolutional network in NumPy, each with its forward and its backward pass.

Every module has ``forward(x)``, which keeps what the backward pass needs in ``self.cache``,
and ``backward(dout)``, which takes the gradient of the loss with respect to the module's
output and stores the gradients with respect to its input and parameters in ``self.dx``,
``self.dw`` and ``self.db`` (same shapes as ``x``, ``self.w`` and ``self.b``), and returns
``self.dx``. The loss, ``SoftmaxCrossEntropy``, takes the labels in ``forward`` and no
argument in ``backward``.

Shapes: ``N`` batch, ``C`` input channels, ``F`` output channels (filters), ``H, W`` height
and width, ``K`` kernel size (square), ``D`` input features, ``M`` output features.

Conventions of PyTorch, so that its layers check ours: a convolution is a cross-correlation
(the kernel is not flipped); ``w`` of ``Conv2d`` is ``(F, C, K, K)``; zero padding adds
``padding`` rows and columns on every side; ``H_out = 1 + (H + 2 * padding - K) // stride``;
max pooling keeps the windows that fit entirely inside the input (the last rows and
columns are dropped when the windows do not tile it) and sends the gradient of a window to
its first maximum in row-major order. ``Linear`` keeps ``w`` as ``(D, M)`` (PyTorch's
``nn.Linear.weight`` is its transpose) and flattens its input ``(N, ...)`` to ``(N, D)``.

Write vectorised code for speed, or loops while you get it right: both pass the tests.
``numpy.lib.stride_tricks.sliding_window_view`` gives every ``K x K`` window of an image as
a view, without copying; ``np.tensordot`` and ``np.einsum`` contract it with the weights.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _check_int(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value!r}")
    return int(value)


def _check_images(x: np.ndarray, C: int | None, what: str) -> None:
    if not isinstance(x, np.ndarray) or x.ndim != 4 or x.shape[0] < 1:
        raise ValueError(f"{what}: expected an array of shape (N, C, H, W), got {getattr(x, 'shape', type(x))}")
    if C is not None and x.shape[1] != C:
        raise ValueError(f"{what}: expected C = {C} channels, got shape {x.shape}")


def _check_dout(dout: np.ndarray, shape: tuple[int, ...] | None, name: str) -> None:
    if shape is None:
        raise RuntimeError(f"{name}.backward called before forward")
    if not isinstance(dout, np.ndarray) or dout.shape != shape:
        raise ValueError(f"dout: expected shape {shape} (the output's), got {getattr(dout, 'shape', type(dout))}")


def output_size(size: int, kernel_size: int, stride: int, padding: int = 0) -> int:
    """``1 + (size + 2 * padding - kernel_size) // stride``: windows that fit in the padded input."""
    return 1 + (size + 2 * padding - kernel_size) // stride


# --------------------------------------------------------------------------- convolution


class ConvCache(NamedTuple):
    """What ``Conv2d.backward`` needs from the forward pass."""

    x_shape: tuple[int, int, int, int]  # (N, C, H, W), the unpadded input
    cols: np.ndarray  # (C*K*K, N*H_out*W_out): every window of the padded input, one per column


class Conv2d:
    """2-D convolution (cross-correlation) with a square kernel, stride and zero padding.

    ``out[n, f, i, j] = b[f] + sum_{c, u, v} w[f, c, u, v] * xp[n, c, i * stride + u, j * stride + v]``
    with ``xp`` the input padded with ``padding`` zeros on each side.

    Args:
        in_channels: ``C``. out_channels: ``F``. kernel_size: ``K``.
        stride: step between windows (default 1). padding: zeros added on each side (default 0).
        rng: generator for the initial weights (He: normal with std ``sqrt(2 / (C * K * K))``);
            ``None`` uses an unseeded one. dtype: of ``w`` and ``b`` (default float32).

    Parameters: ``w`` ``(F, C, K, K)``, ``b`` ``(F,)`` (zeros at first).

    Shape: x ``(N, C, H, W)`` -> out ``(N, F, H_out, W_out)``,
    ``H_out = 1 + (H + 2 * padding - K) // stride`` and the same for ``W_out``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
    ) -> None:
        C = _check_int("in_channels", in_channels, 1)
        F = _check_int("out_channels", out_channels, 1)
        K = _check_int("kernel_size", kernel_size, 1)
        self.stride = _check_int("stride", stride, 1)
        self.padding = _check_int("padding", padding, 0)
        self.in_channels, self.out_channels, self.kernel_size = C, F, K
        rng = np.random.default_rng() if rng is None else rng
        self.w = (np.sqrt(2.0 / (C * K * K)) * rng.standard_normal((F, C, K, K))).astype(dtype)
        self.b = np.zeros(F, dtype=dtype)
        self.dx = self.dw = self.db = None
        self.cache: ConvCache | None = None
        self.out_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x ``(N, C, H, W)`` -> out ``(N, F, H_out, W_out)``; keeps a ``ConvCache`` in ``self.cache``."""
        _check_images(x, self.in_channels, "x")
        K, p = self.kernel_size, self.padding
        if x.shape[2] + 2 * p < K or x.shape[3] + 2 * p < K:
            raise ValueError(f"x: the padded input {x.shape[2:]} + 2 * {p} is smaller than the kernel {K}")
        H_out, W_out = (output_size(n, K, self.stride, p) for n in x.shape[2:])
        self.out_shape = (x.shape[0], self.out_channels, H_out, W_out)  # what backward's dout must be
        # BEGIN SOLUTION
        s, F = self.stride, self.out_channels
        N, C = x.shape[:2]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))  # (N, C, H + 2p, W + 2p)
        windows = sliding_window_view(xp, (K, K), axis=(2, 3))[:, :, ::s, ::s]  # (N, C, H_out, W_out, K, K)
        H_out, W_out = windows.shape[2:4]
        # im2col: one column per output position of every image, so that one matrix product does it all.
        cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * K * K, N * H_out * W_out)  # (C*K*K, N*P)
        out = self.w.reshape(F, C * K * K) @ cols  # (F, C*K*K) @ (C*K*K, N*P) -> (F, N*P)
        out = out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3) + self.b[:, None, None]  # (N, F, H_out, W_out)
        self.cache = ConvCache(x.shape, cols)
        return out
        # END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout ``(N, F, H_out, W_out)`` -> dx ``(N, C, H, W)``; also sets ``self.dw``, ``self.db``.

        ``db[f]`` sums ``dout[:, f]``; ``dw[f, c, u, v]`` sums ``dout[n, f, i, j] * xp[n, c, i*s + u, j*s + v]``
        over ``n, i, j``; each ``dout[n, f, i, j] * w[f, c, u, v]`` adds to the padded input's gradient at
        ``(n, c, i*s + u, j*s + v)``; cut the padding off at the end.
        """
        _check_dout(dout, self.out_shape, "Conv2d")
        # BEGIN SOLUTION
        N, C, H, W = self.cache.x_shape
        K, s, p, F = self.kernel_size, self.stride, self.padding, self.out_channels
        _, _, H_out, W_out = dout.shape
        dout = dout.transpose(1, 0, 2, 3).reshape(F, N * H_out * W_out)  # (F, N*P), columns as in cols
        self.db = dout.sum(axis=1)  # (F,)
        self.dw = (dout @ self.cache.cols.T).reshape(F, C, K, K)  # (F, N*P) @ (N*P, C*K*K)
        dcols = self.w.reshape(F, C * K * K).T @ dout  # (C*K*K, F) @ (F, N*P) -> (C*K*K, N*P)
        dcols = dcols.reshape(C, K, K, N, H_out, W_out)
        dxp = np.zeros((C, N, H + 2 * p, W + 2 * p), dtype=dcols.dtype)  # channels first, like dcols
        for u in range(K):  # K * K strided additions, one per kernel offset: no loop over pixels
            for v in range(K):
                dxp[:, :, u : u + s * H_out : s, v : v + s * W_out : s] += dcols[:, u, v]
        self.dx = dxp[:, :, p : dxp.shape[2] - p, p : dxp.shape[3] - p].transpose(1, 0, 2, 3)  # (N, C, H, W)
        # END SOLUTION
        return self.dx


# --------------------------------------------------------------------------- max pooling


class PoolCache(NamedTuple):
    """What ``MaxPool2d.backward`` needs from the forward pass."""

    x: np.ndarray  # (N, C, H, W), the input
    out: np.ndarray  # (N, C, H_out, W_out), the maximum of each window


class MaxPool2d:
    """Max pooling over square windows: ``out[n, c, i, j] = max_{u, v} x[n, c, i*s + u, j*s + v]``.

    Args:
        kernel_size: ``K``, the window's side. stride: step between windows (default ``K``).

    Shape: x ``(N, C, H, W)`` -> out ``(N, C, H_out, W_out)``, ``H_out = 1 + (H - K) // stride``;
    windows that would stick out of the input are dropped. The gradient of each output goes
    to the first maximum of its window (row-major order, as ``np.argmax`` and PyTorch pick);
    overlapping windows (``stride < K``) add their gradients.
    """

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        self.kernel_size = _check_int("kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _check_int("stride", stride, 1)
        self.dx = None
        self.cache: PoolCache | None = None
        self.out_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x ``(N, C, H, W)`` -> out ``(N, C, H_out, W_out)``; keeps a ``PoolCache`` in ``self.cache``."""
        _check_images(x, None, "x")
        K = self.kernel_size
        if x.shape[2] < K or x.shape[3] < K:
            raise ValueError(f"x: input {x.shape[2:]} is smaller than the pooling window {K}")
        H_out, W_out = (output_size(n, K, self.stride) for n in x.shape[2:])
        self.out_shape = (*x.shape[:2], H_out, W_out)  # what backward's dout must be
        # BEGIN SOLUTION
        s = self.stride
        # x[:, :, u : u + s*H_out : s, v : v + s*W_out : s] (N, C, H_out, W_out) holds entry (u, v) of
        # every window: the elementwise maximum over the K * K offsets is the pooling.
        offsets = (x[:, :, u : u + s * H_out : s, v : v + s * W_out : s] for u in range(K) for v in range(K))
        out = functools.reduce(np.maximum, offsets)
        self.cache = PoolCache(x, out)
        return out
        # END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout ``(N, C, H_out, W_out)`` -> dx ``(N, C, H, W)``: each entry goes to its window's first maximum."""
        _check_dout(dout, self.out_shape, "MaxPool2d")
        # BEGIN SOLUTION
        x, out = self.cache
        K, s = self.kernel_size, self.stride
        _, _, H_out, W_out = dout.shape
        dx = np.zeros_like(x)
        taken = np.zeros(out.shape, dtype=bool)  # windows whose maximum already got its gradient
        for u in range(K):  # offsets in row-major order, so the first maximum of a window wins a tie
            for v in range(K):
                window = (slice(None), slice(None), slice(u, u + s * H_out, s), slice(v, v + s * W_out, s))
                hit = (x[window] == out) & ~taken  # (N, C, H_out, W_out)
                dx[window] += dout * hit
                taken |= hit
        self.dx = dx
        # END SOLUTION
        return self.dx


# --------------------------------------------------------------------------- ReLU


class ReLU:
    """``out = max(x, 0)`` elementwise; its derivative is taken as 0 at ``x == 0``.

    Shape: any -> the same.
    """

    def __init__(self) -> None:
        self.dx = None
        self.cache: np.ndarray | None = None  # the input x
        self.out_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x -> ``max(x, 0)``, same shape and dtype; keeps ``x`` in ``self.cache``."""
        if not isinstance(x, np.ndarray):
            raise ValueError(f"x: expected an np.ndarray, got {type(x).__name__}")
        self.out_shape = x.shape  # what backward's dout must be
        # BEGIN SOLUTION
        out = np.maximum(x, 0)
        self.cache = x
        return out
        # END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout -> ``dx = dout`` where ``x > 0``, else 0."""
        _check_dout(dout, self.out_shape, "ReLU")
        # BEGIN SOLUTION
        self.dx = dout * (self.cache > 0)
        # END SOLUTION
        return self.dx


# --------------------------------------------------------------------------- linear


class Linear:
    """Fully connected layer ``out = x.reshape(N, D) @ w + b``.

    Args:
        in_features: ``D`` (the product of the input's non-batch dimensions). out_features: ``M``.
        rng: generator for the initial weights (He: std ``sqrt(2 / D)``); ``None`` uses an
            unseeded one. dtype: of ``w`` and ``b`` (default float32).

    Parameters: ``w`` ``(D, M)``, ``b`` ``(M,)`` (zeros at first).

    Shape: x ``(N, ...)`` with ``D`` entries per example -> out ``(N, M)``; ``dx`` has the
    shape of ``x``.
    """

    def __init__(
        self, in_features: int, out_features: int, rng: np.random.Generator | None = None, dtype: type = np.float32
    ) -> None:
        D = _check_int("in_features", in_features, 1)
        M = _check_int("out_features", out_features, 1)
        self.in_features, self.out_features = D, M
        rng = np.random.default_rng() if rng is None else rng
        self.w = (np.sqrt(2.0 / D) * rng.standard_normal((D, M))).astype(dtype)
        self.b = np.zeros(M, dtype=dtype)
        self.dx = self.dw = self.db = None
        self.cache: np.ndarray | None = None  # the input x
        self.out_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x ``(N, ...)`` -> out ``(N, M)``; keeps ``x`` in ``self.cache``."""
        if not isinstance(x, np.ndarray) or x.ndim < 2 or x[0].size != self.in_features:
            raise ValueError(
                f"x: expected (N, ...) with D = {self.in_features} entries per example, "
                f"got {getattr(x, 'shape', type(x))}"
            )
        self.out_shape = (x.shape[0], self.out_features)  # what backward's dout must be
        # BEGIN SOLUTION
        out = x.reshape(x.shape[0], self.in_features) @ self.w + self.b  # (N, D) @ (D, M) -> (N, M)
        self.cache = x
        return out
        # END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout ``(N, M)`` -> dx (shape of x); ``dw = x2.T @ dout``, ``db = dout.sum(axis=0)``, ``x2 = x (N, D)``."""
        _check_dout(dout, self.out_shape, "Linear")
        # BEGIN SOLUTION
        x = self.cache
        x2 = x.reshape(x.shape[0], self.in_features)  # (N, D)
        self.dw = x2.T @ dout  # (D, M)
        self.db = dout.sum(axis=0)  # (M,)
        self.dx = (dout @ self.w.T).reshape(x.shape)  # (N, D) -> shape of x
        # END SOLUTION
        return self.dx


# --------------------------------------------------------------------------- loss


class SoftmaxCrossEntropy:
    """Mean softmax cross-entropy of class scores: ``loss = -(1/N) sum_i log softmax(scores_i)[y_i]``.

    Compute the softmax stably (subtract each row's maximum first) and the log-probabilities
    as ``z - log(sum(exp(z)))`` of the shifted scores ``z``, so scores of ``1e4`` give finite
    values. The gradient with respect to the scores is ``(softmax(scores) - onehot(y)) / N``.

    Shape: scores ``(N, K)``, y ``(N,)`` integers in ``[0, K)`` -> loss, a Python float.
    """

    def __init__(self) -> None:
        self.dx = None
        self.cache: tuple[np.ndarray, np.ndarray] | None = None  # (probs (N, K), y (N,))

    def forward(self, scores: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy over the batch, a Python float; keeps ``(probs, y)`` in ``self.cache``."""
        if not isinstance(scores, np.ndarray) or scores.ndim != 2 or scores.shape[0] < 1:
            raise ValueError(f"scores: expected shape (N, K), got {getattr(scores, 'shape', type(scores))}")
        N, K = scores.shape
        if not isinstance(y, np.ndarray) or y.shape != (N,) or y.dtype.kind not in "iu":
            raise ValueError(f"y: expected integer labels of shape (N,) = ({N},), got {getattr(y, 'shape', type(y))}")
        if y.min() < 0 or y.max() >= K:
            raise ValueError(f"y: labels must lie in [0, K) = [0, {K}), got min {y.min()} and max {y.max()}")
        # BEGIN SOLUTION
        z = scores - scores.max(axis=1, keepdims=True)  # (N, K), each row's maximum is 0
        log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # (N, K)
        self.cache = (np.exp(log_probs), y)
        return float(-log_probs[np.arange(N), y].mean())
        # END SOLUTION

    def backward(self) -> np.ndarray:
        """The gradient of the mean loss with respect to the scores, ``(N, K)``; also in ``self.dx``."""
        if self.cache is None:
            raise RuntimeError("SoftmaxCrossEntropy.backward called before forward")
        # BEGIN SOLUTION
        probs, y = self.cache
        N = probs.shape[0]
        dx = probs.copy()
        dx[np.arange(N), y] -= 1
        self.dx = dx / N
        # END SOLUTION
        return self.dx
