"""Minibatches, one epoch of training, and the training loop around it.

Students write ``iterate_minibatches`` and ``train_epoch``; ``evaluate`` and ``train`` (the
loop over epochs, learning-rate decay, progress bar) are given.

Conventions:
- each call of ``iterate_minibatches`` is one epoch: it draws a fresh order with
  ``rng.permutation(N)`` (exactly one call per epoch, nothing else drawn from ``rng``), so the
  same seed gives the same batches as the reference; the last batch keeps the remaining
  ``N % batch_size`` examples when ``batch_size`` does not divide ``N``;
- the training loss and accuracy of an epoch are averages over its examples (each batch's
  mean weighted by its size) of the values ``model.forward`` returned while training, so
  they lag behind the end-of-epoch parameters a little. They are the data loss only (mean
  cross-entropy, no regularisation term), so they compare directly with the validation loss;
  ``train`` records the regularisation loss separately, as ``reg_loss``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple, Protocol

import numpy as np

from mnist_mlp.config import TrainConfig
from mnist_mlp.optim import SGD


class Classifier(Protocol):
    """What training needs from a model (SoftmaxRegression and TwoLayerNet both fit)."""

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def forward(self, X: np.ndarray, y: np.ndarray, train: bool = False) -> tuple[float, float]: ...


class Split(NamedTuple):
    """Training and validation data: X ``(N, D)`` float, y ``(N,)`` int."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def iterate_minibatches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    shuffle: bool = True,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` pairs that cover every example exactly once: one epoch.

    The order is ``rng.permutation(N)`` when ``shuffle`` (one draw per call), else ``0..N-1``.
    Batches are consecutive runs of ``batch_size`` indices of that order; the last one holds
    the ``N % batch_size`` remaining examples when that is not zero (it is kept, not dropped).

    Shape: X ``(N, D)``, y ``(N,)`` -> batches ``(B, D)``, ``(B,)`` with ``B = batch_size``
    except possibly the last.
    """
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y: expected the same number of examples, got {X.shape[0]} and {y.shape[0]}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) or batch_size < 1:
        raise ValueError(f"batch_size: expected an int >= 1, got {batch_size!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a np.random.Generator, got {type(rng).__name__}")
    # BEGIN SOLUTION
    N = X.shape[0]
    order = rng.permutation(N) if shuffle else np.arange(N)
    for start in range(0, N, batch_size):
        idx = order[start : start + batch_size]
        yield X[idx], y[idx]
    # END SOLUTION


def train_epoch(
    model: Classifier, optimizer: SGD, batches: Iterable[tuple[np.ndarray, np.ndarray]]
) -> tuple[float, float]:
    """One epoch: for each batch, ``model.forward(Xb, yb, train=True)`` then ``optimizer.step(model)``.

    Args:
        model: the classifier, updated in place by the optimizer.
        optimizer: an ``SGD``.
        batches: the epoch's ``(X_batch, y_batch)`` pairs, e.g. from ``iterate_minibatches``.

    Returns:
        ``(loss, accuracy)``: the example-weighted means over the epoch of the values
        ``forward`` returned, ``sum_b N_b * loss_b / sum_b N_b`` (the same for accuracy).
    """
    # BEGIN SOLUTION
    total_loss, total_correct, count = 0.0, 0.0, 0
    for Xb, yb in batches:
        loss, acc = model.forward(Xb, yb, train=True)
        optimizer.step(model)
        n = Xb.shape[0]
        total_loss += loss * n
        total_correct += acc * n
        count += n
    return total_loss / count, total_correct / count
    # END SOLUTION


def evaluate(model: Classifier, X: np.ndarray, y: np.ndarray, batch_size: int = 2000) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``(X, y)``, without touching its gradients."""
    total_loss = total_correct = 0.0
    for start in range(0, X.shape[0], batch_size):
        Xb, yb = X[start : start + batch_size], y[start : start + batch_size]
        loss, acc = model.forward(Xb, yb, train=False)
        total_loss += loss * Xb.shape[0]
        total_correct += acc * Xb.shape[0]
    return total_loss / X.shape[0], total_correct / X.shape[0]


def _progress_batches(batches: Iterator, total: int, description: str, enabled: bool) -> Iterable:
    """Wrap the batches in a tqdm bar (staff code: tqdm is imported only when shown)."""
    if not enabled:
        return batches
    from tqdm import tqdm

    return tqdm(batches, total=total, desc=description, unit="batch", leave=False, dynamic_ncols=True)


def train(
    model: Classifier,
    optimizer: SGD,
    data: Split,
    config: TrainConfig,
    rng: np.random.Generator,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, list[float]]:
    """Train for ``config.epochs`` epochs; returns the history, one entry per epoch in each list.

    Uses ``config.batch_size``, and decays ``optimizer.learning_rate`` by ``config.lr_decay``
    after every ``config.lr_decay_every`` epochs. ``rng`` orders the batches (one
    ``iterate_minibatches`` call per epoch). ``log`` (e.g. ``print``) gets one line per epoch.

    History keys: ``train_loss``, ``train_acc`` (see the module docstring), ``val_loss``,
    ``val_acc`` (after the epoch), ``reg_loss`` (``optimizer.regularization_loss`` after the
    epoch), ``learning_rate`` (used during the epoch) and ``seconds`` (wall time of the epoch).
    """
    keys = ("train_loss", "train_acc", "val_loss", "val_acc", "reg_loss", "learning_rate", "seconds")
    history: dict[str, list[float]] = {k: [] for k in keys}
    N = data.X_train.shape[0]
    n_batches = -(-N // config.batch_size)
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        lr = optimizer.learning_rate
        batches = iterate_minibatches(data.X_train, data.y_train, config.batch_size, rng)
        desc = f"epoch {epoch}/{config.epochs}"
        train_loss, train_acc = train_epoch(model, optimizer, _progress_batches(batches, n_batches, desc, progress))
        val_loss, val_acc = evaluate(model, data.X_val, data.y_val)
        seconds = time.perf_counter() - start
        values = (train_loss, train_acc, val_loss, val_acc, optimizer.regularization_loss(model), lr, seconds)
        for key, value in zip(keys, values, strict=True):
            history[key].append(float(value))
        if log is not None:
            log(
                f"epoch {epoch:3d}/{config.epochs}  train loss {train_loss:.4f} acc {train_acc:.4f}  "
                f"val loss {val_loss:.4f} acc {val_acc:.4f}  lr {lr:.3g}  {seconds:.1f}s"
            )
        if epoch % config.lr_decay_every == 0:
            optimizer.learning_rate *= config.lr_decay
    return history
