"""Train a classifier: ``python -m project.starter.train --config starter/configs/tiny.yaml --out runs/tiny``.

Options: ``--data-dir`` (train.npz and val.npz; default: the synthetic data set), ``--out``
(default ``runs/<config name>``), ``--device`` (auto, cpu or cuda), ``--seed`` and ``--epochs``
(override the config's), ``--no-progress``, ``--resume`` (continue from OUT/checkpoint.pt).

Writes, after every epoch, ``OUT/metrics.json`` (the config it ran, per-epoch metrics, the
final and best validation metrics) and ``OUT/checkpoint.pt`` (model, optimiser, generator
states and history, so that ``--resume`` continues exactly where it stopped, also with more
``--epochs``); at the end, ``OUT/curves.png`` (loss and accuracy per epoch).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from trainkit.files import load_state, save_state, write_json
from trainkit.plots import save_curves
from trainkit.run import progress, resolve_device, restore_torch_rng_state, torch_rng_state

from .config import ConfigError, ExperimentConfig
from .data import Data, Split, load_data
from .model import build_model
from .runs import CHECKPOINT_NAME, CURVES_NAME, METRICS_NAME, seed_everything


class ResumeError(RuntimeError):
    """The checkpoint in OUT cannot be continued with this config, or OUT holds a run already."""


def build_optimizer(config: ExperimentConfig, model: nn.Module) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(), lr=config.learning_rate, momentum=config.momentum, weight_decay=config.weight_decay
    )


def batches(split: Split, batch_size: int, generator: torch.Generator | None) -> Iterator[tuple[torch.Tensor, ...]]:
    """Mini-batches (images (B, C, H, W), labels (B,)); shuffled with ``generator``, in order without one."""
    N = len(split)
    order = torch.randperm(N, generator=generator) if generator is not None else torch.arange(N)
    for start in range(0, N, batch_size):
        index = order[start : start + batch_size]
        yield split.images[index], split.labels[index]


def train_one_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    split: Split,
    batch_size: int,
    generator: torch.Generator,
    device: torch.device,
    show_progress: bool,
    desc: str,
) -> tuple[float, float]:
    """One pass over ``split`` in a shuffled order -> (mean loss, accuracy) over the epoch's batches."""
    model.train()
    total_loss, correct = 0.0, 0
    steps = -(-len(split) // batch_size)
    for images, labels in progress(
        batches(split, batch_size, generator), enabled=show_progress, desc=desc, total=steps
    ):
        images, labels = images.to(device), labels.to(device)
        logits = model(images)  # (B, K)
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * labels.shape[0]
        correct += int((logits.argmax(dim=1) == labels).sum())
    return total_loss / len(split), correct / len(split)


@torch.no_grad()
def evaluate(model: nn.Module, split: Split, batch_size: int, device: torch.device) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on ``split``."""
    model.eval()
    total_loss, correct = 0.0, 0
    for images, labels in batches(split, batch_size, None):
        images, labels = images.to(device), labels.to(device)
        logits = model(images)  # (B, K)
        total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
        correct += int((logits.argmax(dim=1) == labels).sum())
    return total_loss / len(split), correct / len(split)


def summary(config: ExperimentConfig, data: Data, device: torch.device, epochs: list[dict[str, float]]) -> dict:
    """What metrics.json holds: the config, the data, per-epoch metrics, the final and the best epoch."""
    best = max(epochs, key=lambda e: e["val_acc"])
    last = epochs[-1]
    return {
        "config": config.to_dict(),
        "data": data.source,
        "num_train": len(data.train),
        "num_val": len(data.val),
        "device": str(device),
        "epochs": epochs,
        "final": {
            "epoch": last["epoch"],
            "train_loss": last["train_loss"],
            "train_acc": last["train_acc"],
            "val_loss": last["val_loss"],
            "val_acc": last["val_acc"],
            "best_val_acc": best["val_acc"],
            "best_epoch": best["epoch"],
            "train_seconds": sum(e["seconds"] for e in epochs),
        },
    }


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    """A config without ``epochs``: a run may be resumed with more epochs, nothing else changed."""
    return {k: v for k, v in config.items() if k != "epochs"}


def run(
    config: ExperimentConfig,
    out: Path,
    *,
    device: torch.device,
    data_dir: str | Path | None = None,
    resume: bool = False,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
) -> dict:
    """Train ``config`` into ``out`` (see the module docstring); return what metrics.json holds."""
    checkpoint_path = out / CHECKPOINT_NAME
    if checkpoint_path.exists() and not resume:
        raise ResumeError(
            f"{out} holds a run already ({CHECKPOINT_NAME}): pass --resume to continue it, or another --out"
        )
    generator = seed_everything(config.seed)
    data = load_data(config, data_dir)
    model = build_model(config, data.input_shape, data.num_classes).to(device)
    optimizer = build_optimizer(config, model)
    epochs: list[dict[str, float]] = []
    if resume and checkpoint_path.exists():
        state = load_state(checkpoint_path, device)
        if _comparable(state["config"]) != _comparable(config.to_dict()):
            changed = sorted(k for k, v in _comparable(config.to_dict()).items() if state["config"].get(k) != v)
            raise ResumeError(
                f"{checkpoint_path}: made with another config (differs in {changed}); only epochs may change"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["batch_generator"])
        restore_torch_rng_state(state["rng"])
        epochs = list(state["epochs"])
        log(f"resumed {checkpoint_path} after epoch {len(epochs)}")
    elif resume:
        log(f"--resume: no {checkpoint_path} yet, starting from epoch 1")
    if len(epochs) > config.epochs:
        raise ResumeError(f"{checkpoint_path}: has {len(epochs)} epochs already, more than epochs {config.epochs}")
    out.mkdir(parents=True, exist_ok=True)
    log(
        f"data: {data.source}; {len(data.train)} train, {len(data.val)} validation images of shape "
        f"{data.input_shape}, {data.num_classes} classes; model {config.model}; device {device}"
    )
    for epoch in range(len(epochs) + 1, config.epochs + 1):
        start = time.perf_counter()
        train_loss, train_acc = train_one_epoch(
            model,
            optimizer,
            data.train,
            config.batch_size,
            generator,
            device,
            show_progress,
            desc=f"epoch {epoch}/{config.epochs}",
        )
        val_loss, val_acc = evaluate(model, data.val, config.batch_size, device)
        epochs.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "train_acc": train_acc,
                "val_loss": val_loss,
                "val_acc": val_acc,
                "seconds": time.perf_counter() - start,
            }
        )
        log(
            f"epoch {epoch}/{config.epochs}: train loss {train_loss:.4f} acc {train_acc:.4f}, "
            f"val loss {val_loss:.4f} acc {val_acc:.4f}"
        )
        save_state(
            checkpoint_path,
            {
                "config": config.to_dict(),
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "batch_generator": generator.get_state(),
                "rng": torch_rng_state(device),
                "epochs": epochs,
            },
        )
        write_json(out / METRICS_NAME, summary(config, data, device, epochs))
    # Once at the end: matplotlib takes longer than an epoch of the tiny config.
    save_curves(epochs, out / CURVES_NAME, f"{config.name} (seed {config.seed})")
    return summary(config, data, device, epochs)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m project.starter.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML file of ExperimentConfig overrides")
    parser.add_argument("--data-dir", default=None, help="folder with train.npz and val.npz (default: synthetic data)")
    parser.add_argument("--out", default=None, help="output folder (default runs/<config name>)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    parser.add_argument("--seed", type=int, default=None, help="overrides the config's seed")
    parser.add_argument("--epochs", type=int, default=None, help="overrides the config's epochs")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = ExperimentConfig.load(args.config)
        overrides = {k: v for k, v in (("seed", args.seed), ("epochs", args.epochs)) if v is not None}
        config = config.replace(**overrides)
        device = resolve_device(args.device)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else Path("runs") / Path(args.config).stem
    try:
        metrics = run(
            config,
            out,
            device=device,
            data_dir=args.data_dir,
            resume=args.resume,
            show_progress=not args.no_progress,
        )
    except (ResumeError, FileNotFoundError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    final = metrics["final"]
    print(
        f"final val acc {final['val_acc']:.4f} (best {final['best_val_acc']:.4f} at epoch {final['best_epoch']}); "
        f"wrote {out / METRICS_NAME}, {out / CURVES_NAME} and {out / CHECKPOINT_NAME}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
