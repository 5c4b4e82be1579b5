"""Train a classifier on MNIST: ``python -m mnist_mlp.train --config configs/two_layer.yaml``.

Options: ``--data-dir`` (else ``DATA_DIR``, else the committed sample in data/sample),
``--out`` (default ``runs/<config name>``), ``--device`` (``auto`` or ``cpu``: this assignment
is NumPy, so the CPU is the only device), ``--seed`` (overrides the config's seed).

Writes ``OUT/metrics.json`` (the config it ran, per-epoch metrics, seconds per epoch, and the
final ``test_accuracy`` as a fraction) and ``OUT/curves.png`` (loss and accuracy per epoch).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mnist_mlp.config import ConfigError, TrainConfig, load_config
from mnist_mlp.data import load_mnist, resolve_data_dir, train_val_split
from mnist_mlp.models import SoftmaxRegression, TwoLayerNet
from mnist_mlp.optim import SGD
from mnist_mlp.training import Split, evaluate, train


def build_model(config: TrainConfig, input_dim: int, num_classes: int, rng: np.random.Generator):
    """The model the config names, initialised from ``rng``."""
    if config.model == "softmax_regression":
        return SoftmaxRegression(input_dim, num_classes, rng=rng)
    return TwoLayerNet(input_dim, config.hidden_dim, num_classes, activation=config.activation, rng=rng)


def save_curves(history: dict[str, list[float]], path: Path, title: str) -> None:
    """Loss and accuracy per epoch, train and validation, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], marker="o", label="train (during the epoch)")
    ax_loss.plot(epochs, history["val_loss"], marker="o", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="mean cross-entropy", title="loss")
    ax_acc.plot(epochs, history["train_acc"], marker="o", label="train (during the epoch)")
    ax_acc.plot(epochs, history["val_acc"], marker="o", label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mnist_mlp.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig overrides")
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST .gz files (or its mnist/ subfolder)")
    parser.add_argument("--out", default=None, help="output folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", help="auto or cpu (NumPy runs on the CPU only)")
    parser.add_argument("--seed", type=int, default=None, help="overrides the config's seed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.device not in ("auto", "cpu"):
        print(f"--device {args.device}: this assignment runs NumPy on the CPU; use auto or cpu", file=sys.stderr)
        return 2
    try:
        config = load_config(args.config)
        if args.seed is not None:
            config = config.replace(seed=args.seed)
    except (ConfigError, OSError) as exc:
        print(f"config: {exc}", file=sys.stderr)
        return 2
    try:
        data_dir = resolve_data_dir(args.data_dir)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    out.mkdir(parents=True, exist_ok=True)

    # One seed, three independent streams: validation split, initial weights, batch order.
    split_rng, init_rng, batch_rng = np.random.default_rng(config.seed).spawn(3)
    mnist = load_mnist(data_dir)
    if not config.val_size < mnist.X_train.shape[0]:
        print(
            f"val_size {config.val_size}: must be below the {mnist.X_train.shape[0]} training digits",
            file=sys.stderr,
        )
        return 2
    split = Split(*train_val_split(mnist.X_train, mnist.y_train, config.val_size, split_rng))
    print(
        f"data {data_dir}: {split.X_train.shape[0]} train, {split.X_val.shape[0]} validation, "
        f"{mnist.X_test.shape[0]} test digits; model {config.model}; device cpu"
    )
    model = build_model(config, split.X_train.shape[1], 10, init_rng)
    optimizer = SGD(config.learning_rate, reg=config.reg, momentum=config.momentum)
    start = time.perf_counter()
    history = train(model, optimizer, split, config, batch_rng, progress=not args.no_progress, log=print)
    train_seconds = time.perf_counter() - start
    test_loss, test_acc = evaluate(model, mnist.X_test, mnist.y_test)
    print(f"test accuracy {test_acc:.4f} (loss {test_loss:.4f}); {np.mean(history['seconds']):.2f} s per epoch")

    metrics = {
        "config": dataclasses.asdict(config),
        "data_dir": str(data_dir),
        "num_train": int(split.X_train.shape[0]),
        "num_val": int(split.X_val.shape[0]),
        "num_test": int(mnist.X_test.shape[0]),
        "epochs": [
            {"epoch": i + 1, **{k: v[i] for k, v in history.items()}} for i in range(len(history["train_loss"]))
        ],
        "history": history,
        "seconds_per_epoch": float(np.mean(history["seconds"])),
        "train_seconds": train_seconds,
        "final_val_accuracy": history["val_acc"][-1],
        "test_loss": test_loss,
        "test_accuracy": test_acc,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    save_curves(history, out / "curves.png", f"{config.model} on MNIST: test accuracy {test_acc:.4f}")
    print(f"wrote {out / 'metrics.json'} and {out / 'curves.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
