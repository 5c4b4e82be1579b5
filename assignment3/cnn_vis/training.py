"""How ``cnn_vis/cifar_net.pt`` was trained (``make model``): ``fit`` trains ``CifarNet`` in a
``trainkit.run.Run``, with SGD with Nesterov momentum, a one-cycle learning rate stepped per
batch, random crops and flips, and a checkpoint after every epoch (``--resume`` continues it).
At the end it writes ``model.pt``, a plain state dict (``torch.load(path, weights_only=True)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from cnn_vis.config import TrainConfig
from cnn_vis.data import CLASSES, load_split, transform
from cnn_vis.model import CifarNet
from trainkit.images import ImageData, InMemoryDataset, subset, train_val_split
from trainkit.run import Run, restore_scheduler, restore_torch_rng_state, seed_streams, torch_rng_state, torch_seed


def build_model(config: TrainConfig) -> nn.Module:
    """The classifier the config describes, initialised from torch's global generator."""
    return CifarNet(width=config.width)


@torch.no_grad()
def evaluate(model: nn.Module, data: ImageData, device: torch.device, batch_size: int = 500) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` on ``data`` (no augmentation)."""
    model.eval()
    normalise = transform(augment=False)
    total_loss, correct = 0.0, 0
    for start in range(0, data.labels.shape[0], batch_size):
        x = normalise(data.images[start : start + batch_size].to(device))
        y = data.labels[start : start + batch_size].to(device)
        scores = model(x)
        total_loss += nn.functional.cross_entropy(scores, y, reduction="sum").item()
        correct += int((scores.argmax(dim=1) == y).sum())
    n = max(1, data.labels.shape[0])
    return total_loss / n, correct / n


def make_training(
    model: nn.Module, data: ImageData, config: TrainConfig, batch_seed: int
) -> tuple[torch.optim.SGD, torch.optim.lr_scheduler.OneCycleLR, DataLoader]:
    """SGD with Nesterov momentum, its one-cycle schedule (stepped per batch) and the loader of shuffled,
    augmented batches of ``data`` (random crops and flips), as the config says."""
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config.learning_rate,
        momentum=config.momentum,
        nesterov=True,
        weight_decay=config.weight_decay,
    )
    loader = DataLoader(
        InMemoryDataset(data, transform(augment=True)),
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(batch_seed),
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
    return optimizer, scheduler, loader


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    memory_format: torch.memory_format = torch.channels_last,
) -> tuple[float, float]:
    """One pass of SGD over ``batches`` of images ``(N, 3, 32, 32)`` and labels ``(N,)``, the scheduler
    (if any) stepped per batch; returns the example-weighted mean loss and accuracy seen while training."""
    model.train()
    total_loss, total_correct, count = 0.0, 0, 0
    for x, y in batches:
        x, y = x.to(device, memory_format=memory_format), y.to(device)
        scores = model(x)
        loss = nn.functional.cross_entropy(scores, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.item() * y.shape[0]
        total_correct += int((scores.argmax(dim=1) == y).sum())
        count += y.shape[0]
    return total_loss / count, total_correct / count


def fit(config: TrainConfig, run: Run) -> dict[str, Any]:
    """Train ``config`` on ``run.data`` epoch by epoch (resuming where ``run`` says); the final results."""
    device = run.device
    train_all, test = load_split(run.data.path, "train"), load_split(run.data.path, "test")
    streams = seed_streams(config.seed, ("split", "init", "batch"))
    train_data, val = train_val_split(train_all, config.val_size, streams["split"])
    if config.max_train:
        train_data = subset(train_data, np.arange(min(config.max_train, len(train_data.labels))))
    run.log(f"{len(train_data.labels)} train, {len(val.labels)} validation, {len(test.labels)} test images")

    torch.manual_seed(torch_seed(streams["init"]))
    model = build_model(config).to(device, memory_format=torch.channels_last)
    optimizer, scheduler, loader = make_training(model, train_data, config, torch_seed(streams["batch"]))
    state = run.resumed_state()
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        restore_scheduler(scheduler, state["scheduler"])
        loader.generator.set_state(state["batch_generator"])
        restore_torch_rng_state(state["rng"])  # the augmentation draws from torch's generators

    for epoch in run.epochs():
        batches = run.bar(loader, f"epoch {epoch}/{config.epochs}")
        train_loss, train_acc = train_epoch(model, optimizer, scheduler, batches, device)
        metrics = {"train_loss": train_loss, "train_acc": train_acc}
        if len(val.labels):
            metrics["val_loss"], metrics["val_acc"] = evaluate(model, val, device)
        run.end_epoch(
            metrics,
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "batch_generator": loader.generator.get_state(),
                "rng": torch_rng_state(device),
            },
        )

    test_loss, test_acc = evaluate(model, test, device)
    run.log(f"test accuracy {test_acc:.4f} (loss {test_loss:.4f}) on {len(test.labels)} images")
    model = model.cpu().to(memory_format=torch.contiguous_format)
    if run.dist.is_main:
        torch.save({k: v.contiguous() for k, v in model.state_dict().items()}, run.out / "model.pt")
    return {
        "num_params": sum(p.numel() for p in model.parameters()),
        "test_loss": test_loss,
        "test_accuracy": test_acc,
        "num_test": len(test.labels),
        "classes": list(CLASSES),
    }
