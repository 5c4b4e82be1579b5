"""Minibatches, one epoch of training, and the training loop around it.

Students write ``iterate_minibatches`` and ``train_epoch``; the rest is given: ``evaluate``,
``run_epoch`` (one epoch: batches, ``train_epoch``, validation, learning-rate decay),
``train`` (``run_epoch`` for every epoch, returning the history) and, for
``python -m mnist_mlp.train``, ``build_model`` and ``fit`` (the run: data, seeds, a checkpoint
after every epoch, exact resume, the test accuracy).

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
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np

from mnist_mlp.optim import SGD

if TYPE_CHECKING:  # the grading child imports this file without trainkit: staff imports stay inside fit
    from mnist_mlp.config import TrainConfig
    from trainkit.run import Run

Bar = Callable[..., Iterable]  # bar(items, desc=..., total=...): items under a progress bar


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


def run_epoch(
    model: Classifier,
    optimizer: SGD,
    data: Split,
    config: TrainConfig,
    rng: np.random.Generator,
    epoch: int,
    bar: Bar | None = None,
) -> dict[str, float]:
    """Epoch ``epoch`` (from 1): train on one ``iterate_minibatches`` pass drawn from ``rng``,
    validate, then multiply ``optimizer.learning_rate`` by ``config.lr_decay`` when ``epoch``
    is a multiple of ``config.lr_decay_every``.

    Returns ``train_loss``, ``train_acc`` (see the module docstring), ``val_loss``, ``val_acc``
    (after the epoch), ``reg_loss`` (``optimizer.regularization_loss`` after the epoch) and
    ``learning_rate`` (used during the epoch).
    """
    lr = optimizer.learning_rate
    batches: Iterable = iterate_minibatches(data.X_train, data.y_train, config.batch_size, rng)
    if bar is not None:
        total = -(-data.X_train.shape[0] // config.batch_size)
        batches = bar(batches, desc=f"epoch {epoch}/{config.epochs}", total=total)
    train_loss, train_acc = train_epoch(model, optimizer, batches)
    val_loss, val_acc = evaluate(model, data.X_val, data.y_val)
    metrics = {
        "train_loss": train_loss,
        "train_acc": train_acc,
        "val_loss": val_loss,
        "val_acc": val_acc,
        "reg_loss": optimizer.regularization_loss(model),
        "learning_rate": lr,
    }
    if epoch % config.lr_decay_every == 0:
        optimizer.learning_rate *= config.lr_decay
    return {k: float(v) for k, v in metrics.items()}


def train(
    model: Classifier,
    optimizer: SGD,
    data: Split,
    config: TrainConfig,
    rng: np.random.Generator,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, list[float]]:
    """Train for ``config.epochs`` epochs (``run_epoch`` each); returns the history, one entry
    per epoch in each list: the keys of ``run_epoch`` and ``seconds`` (wall time of the epoch).

    ``rng`` orders the batches (one ``iterate_minibatches`` call per epoch). ``log`` (e.g.
    ``print``) gets one line per epoch.
    """
    bar = None
    if progress:
        from functools import partial

        from trainkit.run import progress as progress_bar

        bar = partial(progress_bar, enabled=True)
    history: dict[str, list[float]] = {}
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        metrics = run_epoch(model, optimizer, data, config, rng, epoch, bar)
        metrics["seconds"] = time.perf_counter() - start
        for key, value in metrics.items():
            history.setdefault(key, []).append(value)
        if log is not None:
            log(
                f"epoch {epoch:3d}/{config.epochs}  train loss {metrics['train_loss']:.4f} "
                f"acc {metrics['train_acc']:.4f}  val loss {metrics['val_loss']:.4f} acc {metrics['val_acc']:.4f}  "
                f"lr {metrics['learning_rate']:.3g}  {metrics['seconds']:.1f}s"
            )
    return history


# --------------------------------------------------------------------------- the run (staff code)


def build_model(config: TrainConfig, input_dim: int, num_classes: int, rng: np.random.Generator) -> Classifier:
    """The model the config names, initialised from ``rng``."""
    from mnist_mlp.models import SoftmaxRegression, TwoLayerNet

    if config.model == "softmax_regression":
        return SoftmaxRegression(input_dim, num_classes, rng=rng)
    return TwoLayerNet(input_dim, config.hidden_dim, num_classes, activation=config.activation, rng=rng)


def _state(model: Classifier, optimizer: SGD, rng: np.random.Generator) -> dict[str, Any]:
    """What a checkpoint holds to go on exactly: parameters, velocities, learning rate, batch order."""
    return {
        "params": dict(model.params),
        "velocity": dict(optimizer.velocity),
        "learning_rate": optimizer.learning_rate,
        "batch_rng": rng.bit_generator.state,
    }


def _restore(state: dict[str, Any], model: Classifier, optimizer: SGD, rng: np.random.Generator) -> None:
    model.params = {k: np.array(v) for k, v in state["params"].items()}
    optimizer.velocity = {k: np.array(v) for k, v in state["velocity"].items()}
    optimizer.learning_rate = float(state["learning_rate"])
    rng.bit_generator.state = state["batch_rng"]


def fit(config: TrainConfig, run: Run) -> dict[str, Any]:
    """Train on ``run.data.path`` for the epochs ``run`` has left, one checkpoint an epoch; then
    the test accuracy (the 10,000 test digits are used this once). Returns the final results."""
    from mnist_mlp.data import load_mnist, train_val_split
    from trainkit.run import seed_streams

    # One seed, three independent streams: validation split, initial weights, batch order.
    streams = seed_streams(config.seed, ("split", "init", "batch"))
    mnist = load_mnist(run.data.path)
    if not config.val_size < mnist.X_train.shape[0]:
        raise ValueError(f"val_size {config.val_size}: must be below the {mnist.X_train.shape[0]} training digits")
    split = Split(*train_val_split(mnist.X_train, mnist.y_train, config.val_size, streams["split"]))
    run.log(
        f"{split.X_train.shape[0]} train, {split.X_val.shape[0]} validation, {mnist.X_test.shape[0]} test digits; "
        f"model {config.model}"
    )
    model = build_model(config, split.X_train.shape[1], 10, streams["init"])
    optimizer = SGD(config.learning_rate, reg=config.reg, momentum=config.momentum)
    batch_rng = streams["batch"]
    state = run.resumed_state()
    if state is not None:
        _restore(state, model, optimizer, batch_rng)
    for epoch in run.epochs():
        metrics = run_epoch(model, optimizer, split, config, batch_rng, epoch, run.bar)
        run.end_epoch(metrics, _state(model, optimizer, batch_rng))
    test_loss, test_acc = evaluate(model, mnist.X_test, mnist.y_test)
    run.log(f"test accuracy {test_acc:.4f} (loss {test_loss:.4f})")
    return {
        "num_train": int(split.X_train.shape[0]),
        "num_val": int(split.X_val.shape[0]),
        "num_test": int(mnist.X_test.shape[0]),
        "final_val_accuracy": run.history[-1]["val_acc"],
        "test_loss": float(test_loss),
        "test_accuracy": float(test_acc),
    }
