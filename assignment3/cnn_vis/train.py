"""Train the assignment's CIFAR-10 classifier: ``python -m cnn_vis.train --config configs/model.yaml``.

``make model`` runs it on the full data and copies ``runs/model/model.pt`` to
``cnn_vis/cifar_net.pt``, the checkpoint every other command explains. Writes
``OUT/metrics.json`` (the config, per-epoch metrics, ``test_accuracy``), ``OUT/curves.png``
and ``OUT/model.pt`` (a plain state dict: ``torch.load(path, weights_only=True)``).
SGD with Nesterov momentum, a one-cycle learning rate stepped per batch, random crops and flips.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from cnn_vis.cli import out_dir, parse_args, progress, resolve_device, write_metrics
from cnn_vis.config import ConfigError, TrainConfig, load_config
from cnn_vis.data import (
    CLASSES,
    ImageData,
    InMemoryDataset,
    load_split,
    make_transform,
    resolve_data_dir,
    subset,
    train_val_split,
)
from cnn_vis.model import CifarNet


@torch.no_grad()
def evaluate(model: nn.Module, data: ImageData, device: torch.device, batch_size: int = 500) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``data`` (no augmentation)."""
    model.eval()
    transform = make_transform(augment=False)
    total_loss, correct = 0.0, 0
    for start in range(0, data.labels.shape[0], batch_size):
        x = transform(data.images[start : start + batch_size].to(device))
        y = data.labels[start : start + batch_size].to(device)
        scores = model(x)
        total_loss += nn.functional.cross_entropy(scores, y, reduction="sum").item()
        correct += int((scores.argmax(dim=1) == y).sum())
    n = max(1, data.labels.shape[0])
    return total_loss / n, correct / n


def save_curves(history: dict[str, list[float]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], marker="o", label="train")
    ax_acc.plot(epochs, history["train_acc"], marker="o", label="train")
    if history["val_loss"]:
        ax_loss.plot(epochs, history["val_loss"], marker="o", label="validation")
        ax_acc.plot(epochs, history["val_acc"], marker="o", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args("python -m cnn_vis.train", __doc__.split("\n")[0], argv)
    try:
        device = resolve_device(args.device)
        config = load_config(args.config, TrainConfig)
        if args.seed is not None:
            config = config.replace(seed=args.seed)
        root = resolve_data_dir(args.data_dir)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = out_dir(args)
    train_all, test = load_split(root, "train"), load_split(root, "test")
    split_seed, init_seed, batch_seed = np.random.SeedSequence(config.seed).generate_state(3)
    try:
        train_data, val = train_val_split(train_all, config.val_size, np.random.default_rng(split_seed))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if config.max_train:
        train_data = subset(train_data, np.arange(min(config.max_train, len(train_data.labels))))
    print(f"data {root}: {len(train_data.labels)} train, {len(val.labels)} validation, {len(test.labels)} test")

    torch.manual_seed(int(init_seed))
    model = CifarNet(width=config.width).to(device, memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config.learning_rate,
        momentum=config.momentum,
        nesterov=True,
        weight_decay=config.weight_decay,
    )
    loader = DataLoader(
        InMemoryDataset(train_data, make_transform(augment=True)),
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(int(batch_seed)),
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=config.learning_rate,
        epochs=config.epochs,
        steps_per_epoch=len(loader),
        pct_start=config.warmup_fraction,
        anneal_strategy="linear",
        cycle_momentum=False,
    )
    history: dict[str, list[float]] = {k: [] for k in ("train_loss", "train_acc", "val_loss", "val_acc", "seconds")}
    for epoch in range(1, config.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total_loss, total_correct, count = 0.0, 0, 0
        for x, y in progress(loader, f"epoch {epoch}/{config.epochs}", not args.no_progress):
            x, y = x.to(device, memory_format=torch.channels_last), y.to(device)
            scores = model(x)
            loss = nn.functional.cross_entropy(scores, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * y.shape[0]
            total_correct += int((scores.argmax(dim=1) == y).sum())
            count += y.shape[0]
        seconds = time.perf_counter() - t0
        history["train_loss"].append(total_loss / count)
        history["train_acc"].append(total_correct / count)
        history["seconds"].append(seconds)
        line = f"epoch {epoch}/{config.epochs}: train loss {total_loss / count:.4f} acc {total_correct / count:.4f}"
        if len(val.labels):
            val_loss, val_acc = evaluate(model, val, device)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
            line += f", validation loss {val_loss:.4f} acc {val_acc:.4f}"
        print(f"{line} ({seconds:.1f} s)", flush=True)

    test_loss, test_acc = evaluate(model, test, device)
    print(f"test accuracy {test_acc:.4f} (loss {test_loss:.4f}) on {len(test.labels)} images")
    model = model.cpu().to(memory_format=torch.contiguous_format)
    torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, out / "model.pt")
    write_metrics(
        out,
        {
            "config": config.to_dict(),
            "data_dir": str(root),
            "device": str(device),
            "num_params": sum(p.numel() for p in model.parameters()),
            "history": history,
            "train_seconds": float(sum(history["seconds"])),
            "test_loss": test_loss,
            "test_accuracy": test_acc,
            "num_test": len(test.labels),
            "classes": list(CLASSES),
        },
    )
    save_curves(history, out / "curves.png", f"CifarNet (width {config.width}): test accuracy {test_acc:.4f}")
    print(f"wrote {out / 'metrics.json'}, {out / 'curves.png'} and {out / 'model.pt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
