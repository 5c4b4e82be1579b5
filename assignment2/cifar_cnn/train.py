"""Train a classifier on CIFAR-10: ``python -m cifar_cnn.train --config configs/vanilla_cnn.yaml``.

Options: ``--data-dir`` (else ``DATA_DIR``, else the committed sample in data/sample),
``--out`` (default ``runs/<config name>``), ``--device`` (``auto`` picks CUDA when present,
``cpu`` or ``cuda``), ``--seed`` (overrides the config's seed).

Writes ``OUT/metrics.json`` (the config it ran, per-epoch metrics, the class counts of the
training set, per-class and overall ``test_accuracy`` as fractions), ``OUT/curves.png``
(loss and accuracy per epoch) and ``OUT/model.pt``, the model's ``state_dict`` (load it
with ``torch.load(path, weights_only=True)``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from cifar_cnn.config import ConfigError, TrainConfig, load_config
from cifar_cnn.data import (
    CLASSES,
    ImageData,
    InMemoryDataset,
    load_split,
    long_tailed,
    make_transform,
    resolve_data_dir,
    train_val_split,
)


def build_model(config: TrainConfig, num_classes: int = len(CLASSES)) -> nn.Module:
    """The model the config names (models.py), initialised from torch's global generator."""
    from cifar_cnn.models import MyModel, TwoLayerNet, VanillaCNN

    if config.model == "two_layer":
        return TwoLayerNet(3 * 32 * 32, config.hidden_dim, num_classes)
    if config.model == "vanilla_cnn":
        return VanillaCNN(num_classes)
    return MyModel(num_classes)


def build_criterion(config: TrainConfig, class_counts: Sequence[int], weighted: bool = True) -> nn.Module:
    """Cross-entropy, or the focal loss, with class-balanced weights when ``reweight_beta > 0``
    (and ``weighted``: the epochs before ``reweight_start_epoch`` use no weights)."""
    if config.loss == "ce":
        return nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    from cifar_cnn.losses import FocalLoss, reweight

    weight = reweight(class_counts, config.reweight_beta) if config.reweight_beta > 0 and weighted else None
    return FocalLoss(weight=weight, gamma=config.focal_gamma)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available here (use auto or cpu)")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"--device {name}: expected auto, cpu or cuda")
    return torch.device(name)


def cpu_features() -> dict[str, bool]:
    """The instruction sets that decide which convolution kernels oneDNN can use, as torch detects them."""
    caps = torch.cpu.get_capabilities()
    return {name: bool(caps.get(name, False)) for name in ("avx2", "avx512_f", "avx512_bf16", "amx_tile", "amx_bf16")}


def resolve_precision(precision: str, device: torch.device) -> tuple[str, str]:
    """The precision a run uses, ``fp32`` or ``bf16``, and why: ``auto`` picks bfloat16 autocast only where
    it is fast, on CUDA and on CPUs with AMX-BF16 tiles.

    Measured with ``make bench-train`` on a busy 2-core Xeon that has AVX-512 BF16 but no AMX: a
    MyModel step under bfloat16 autocast took 1.2 to 1.5 times as long as in float32 on one thread,
    2 to 2.8 times on two, most of the difference in oneDNN's bfloat16 backward-weights convolution
    (``jit_bf16:avx512_core_bf16``): AVX-512 BF16 alone does not make bfloat16 pay.
    """
    if precision != "auto":
        return precision, "as configured"
    if device.type == "cuda":
        return "bf16", "auto: CUDA"
    if cpu_features()["amx_bf16"]:
        return "bf16", "auto: this CPU has AMX-BF16"
    return "fp32", "auto: no AMX-BF16 on this CPU, where bfloat16 autocast is slower than float32"


def autocast(device: torch.device, precision: str) -> torch.autocast:
    """bfloat16 autocast for ``precision == "bf16"``, else a context that changes nothing."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


@torch.no_grad()
def evaluate(
    model: nn.Module, data: ImageData, device: torch.device, batch_size: int = 500, precision: str = "fp32"
) -> tuple[float, float, list[float]]:
    """Mean cross-entropy, accuracy and per-class accuracy of ``model`` on ``data`` (no augmentation)."""
    model.eval()
    transform = make_transform(augment=False)  # works on a batch as on one image
    total_loss, correct = 0.0, torch.zeros(len(CLASSES))
    per_class = torch.bincount(data.labels, minlength=len(CLASSES)).float()
    for start in range(0, data.labels.shape[0], batch_size):
        x = transform(data.images[start : start + batch_size].to(device))
        y = data.labels[start : start + batch_size].to(device)
        with autocast(device, precision):
            scores = model(x).float()
        total_loss += nn.functional.cross_entropy(scores, y, reduction="sum").item()
        hits = (scores.argmax(dim=1) == y).float()
        correct += torch.bincount(y, weights=hits, minlength=len(CLASSES)).cpu()
    n = data.labels.shape[0]
    class_acc = torch.where(per_class > 0, correct / per_class.clamp(min=1), torch.nan)
    return total_loss / n, float(correct.sum() / n), [float(a) for a in class_acc]


def train_epoch(
    model: nn.Module,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: DataLoader,
    device: torch.device,
    progress: Callable | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    precision: str = "fp32",
    memory_format: torch.memory_format = torch.channels_last,
) -> tuple[float, float]:
    """One pass over ``loader``; returns the example-weighted mean loss and accuracy seen while training.

    ``scheduler``, when given, is stepped after every batch (a per-step schedule such as OneCycleLR).
    ``memory_format``: the layout each batch is moved to (``torch.contiguous_format`` for NCHW).
    """
    model.train()
    total_loss, total_correct, count = 0.0, 0, 0
    batches = loader if progress is None else progress(loader)
    for x, y in batches:
        x = x.to(device, non_blocking=True, memory_format=memory_format)
        y = y.to(device, non_blocking=True)
        with autocast(device, precision):
            scores = model(x).float()
            loss = criterion(scores, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total_loss += loss.item() * y.shape[0]
        total_correct += int((scores.argmax(dim=1) == y).sum())
        count += y.shape[0]
    return total_loss / count, total_correct / count


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.SGD:
    """SGD with the config's momentum (optionally Nesterov's) and weight decay."""
    return torch.optim.SGD(
        model.parameters(),
        lr=config.learning_rate,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )


def make_loader(data: ImageData, config: TrainConfig, seed: int, device: torch.device) -> DataLoader:
    """Shuffled batches of ``data``, augmented as the config says, in ``config.num_workers`` processes."""
    return DataLoader(
        InMemoryDataset(data, make_transform(config.augment, config.crop_padding)),
        batch_size=config.batch_size,
        shuffle=True,
        generator=torch.Generator().manual_seed(int(seed)),
        num_workers=config.num_workers,
        pin_memory=device.type == "cuda",
    )


def save_curves(history: dict[str, list[float]], path: Path, title: str) -> None:
    """Loss and accuracy per epoch, training and validation, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], marker="o", label="train (training loss, during the epoch)")
    ax_acc.plot(epochs, history["train_acc"], marker="o", label="train (during the epoch)")
    if history["val_loss"]:
        ax_loss.plot(epochs, history["val_loss"], marker="o", label="validation (cross-entropy)")
        ax_acc.plot(epochs, history["val_acc"], marker="o", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
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
    parser = argparse.ArgumentParser(prog="python -m cifar_cnn.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig overrides")
    parser.add_argument("--data-dir", default=None, help="CIFAR-10 folder (train/ and test/, or its parent)")
    parser.add_argument("--out", default=None, help="output folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    parser.add_argument("--seed", type=int, default=None, help="overrides the config's seed")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        device = resolve_device(args.device)
        config = load_config(args.config)
        if args.seed is not None:
            config = config.replace(seed=args.seed)
        root = resolve_data_dir(args.data_dir)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    out.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    train_all, test = load_split(root, "train"), load_split(root, "test")
    decode_seconds = time.perf_counter() - start
    # One seed, three independent streams: validation split, initial weights, batch order.
    split_seed, init_seed, batch_seed = np.random.SeedSequence(config.seed).generate_state(3)
    try:
        train_data, val = train_val_split(train_all, config.val_size, np.random.default_rng(split_seed))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if config.imbalance_factor > 1:
        train_data = long_tailed(train_data, config.imbalance_factor)
    counts = [int(n) for n in torch.bincount(train_data.labels, minlength=len(CLASSES))]
    print(
        f"data {root}: {len(train_data.labels)} train (per class {counts}), {len(val.labels)} validation, "
        f"{len(test.labels)} test images, decoded in {decode_seconds:.1f} s; model {config.model}; device {device}"
    )
    precision, why = resolve_precision(config.precision, device)
    print(f"precision {precision} ({why}); {torch.get_num_threads()} torch threads")

    torch.manual_seed(int(init_seed))
    # channels_last: the memory layout oneDNN's and cuDNN's fastest convolutions work in.
    model = build_model(config).to(device, memory_format=torch.channels_last)
    criterion = build_criterion(config, counts).to(device)
    # Deferred re-weighting (Cao et al., 2019): no class weights for the first epochs.
    unweighted = build_criterion(config, counts, weighted=False).to(device)
    optimizer = make_optimizer(model, config)
    loader = make_loader(train_data, config, batch_seed, device)

    if config.lr_schedule == "onecycle":  # stepped per batch
        batch_scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=config.learning_rate,
            epochs=config.epochs,
            steps_per_epoch=len(loader),
            pct_start=config.warmup_fraction,
            anneal_strategy="linear",
            cycle_momentum=False,
        )
        epoch_scheduler = None
    else:  # stepped per epoch
        batch_scheduler = None
        epoch_scheduler = torch.optim.lr_scheduler.MultiStepLR(
            optimizer, milestones=list(config.lr_milestones), gamma=config.lr_gamma
        )

    keys = ("train_loss", "train_acc", "val_loss", "val_acc", "learning_rate", "seconds")
    history: dict[str, list[float]] = {k: [] for k in keys}
    for epoch in range(1, config.epochs + 1):
        t0 = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        progress = None
        if not args.no_progress:
            from tqdm import tqdm

            def progress(it, epoch=epoch):
                return tqdm(it, desc=f"epoch {epoch}/{config.epochs}", unit="batch", leave=False, dynamic_ncols=True)

        train_loss, train_acc = train_epoch(
            model,
            criterion if epoch > config.reweight_start_epoch else unweighted,
            optimizer,
            loader,
            device,
            progress,
            batch_scheduler,
            precision,
        )
        if epoch_scheduler is not None:
            epoch_scheduler.step()
        seconds = time.perf_counter() - t0
        history["train_loss"].append(train_loss)
        history["train_acc"].append(train_acc)
        line = f"epoch {epoch}/{config.epochs}: lr {lr:.4g}, train loss {train_loss:.4f} acc {train_acc:.4f}"
        if len(val.labels):
            val_loss, val_acc, _ = evaluate(model, val, device, precision=precision)
            history["val_loss"].append(val_loss)
            history["val_acc"].append(val_acc)
            line += f", validation loss {val_loss:.4f} acc {val_acc:.4f}"
        history["learning_rate"].append(lr)
        history["seconds"].append(seconds)
        print(f"{line} ({seconds:.1f} s, {len(train_data.labels) / seconds:.0f} img/s)")

    train_seconds = float(sum(history["seconds"]))
    test_loss, test_acc, class_acc = evaluate(model, test, device, precision=precision)
    print(f"test accuracy {test_acc:.4f} (loss {test_loss:.4f}); per class {[round(a, 3) for a in class_acc]}")
    torch.save(model.state_dict(), out / "model.pt")
    metrics = {
        "config": config.to_dict(),
        "data_dir": str(root),
        "device": str(device),
        "precision": precision,  # what config.precision resolved to on this machine
        "torch_threads": torch.get_num_threads(),
        "num_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "num_train": len(train_data.labels),
        "num_val": len(val.labels),
        "num_test": len(test.labels),
        "train_class_counts": counts,
        "epochs": [{"epoch": i + 1, **{k: v[i] for k, v in history.items() if v}} for i in range(config.epochs)],
        "history": history,
        "seconds_per_epoch": train_seconds / config.epochs,
        "train_seconds": train_seconds,
        "test_loss": test_loss,
        "test_accuracy": test_acc,
        "test_accuracy_per_class": dict(zip(CLASSES, class_acc, strict=True)),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    save_curves(history, out / "curves.png", f"{config.model} on CIFAR-10: test accuracy {test_acc:.4f}")
    print(f"wrote {out / 'metrics.json'}, {out / 'curves.png'} and {out / 'model.pt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
