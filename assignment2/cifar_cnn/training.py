"""The training loop of ``cifar_cnn.train``: the model, loss, optimiser and schedule a config names, one
epoch of SGD, evaluation, and ``fit``, which trains epoch by epoch in a ``trainkit.run.Run``.

``fit`` saves a checkpoint after every epoch (the weights, the optimiser, the schedule and every
random generator's state), so ``--resume`` continues exactly where a run stopped; at the end it
writes ``model.pt``, the model's ``state_dict`` (for MyModel: what you submit as
``cifar_cnn/my_model.pt``). Under ``torchrun`` it trains one model in several processes
(distributed data-parallel, ``trainkit.distributed``): each takes its shard of every global batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from cifar_cnn.config import TrainConfig
from cifar_cnn.data import CLASSES, ImageData, InMemoryDataset, load_split, long_tailed, make_transform, train_val_split
from trainkit import distributed
from trainkit.bench import cpu_features  # torch's detection: the instruction sets oneDNN's kernels use
from trainkit.run import Run, restore_scheduler, restore_torch_rng_state, seed_streams, torch_rng_state, torch_seed

MODEL_FILE = "model.pt"


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


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.SGD:
    """SGD with the config's momentum (optionally Nesterov's) and weight decay; the batch norms'
    parameters in a group of their own, with ``norm_lr_scale`` times the learning rate and the weight
    decay divided by it (a scheduler scales both groups alike)."""
    norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm)
    norm_ids = {id(p) for m in model.modules() if isinstance(m, norms) for p in m.parameters(recurse=False)}
    trained = [p for p in model.parameters() if p.requires_grad]
    scale = config.norm_lr_scale
    groups = [
        {"params": [p for p in trained if id(p) not in norm_ids]},
        {
            "params": [p for p in trained if id(p) in norm_ids],
            "lr": config.learning_rate * scale,
            "weight_decay": config.weight_decay / scale,
        },
    ]
    return torch.optim.SGD(
        [g for g in groups if g["params"]],
        lr=config.learning_rate,
        momentum=config.momentum,
        nesterov=config.nesterov,
        weight_decay=config.weight_decay,
    )


def make_scheduler(
    optimizer: torch.optim.Optimizer, config: TrainConfig, steps_per_epoch: int
) -> tuple[torch.optim.lr_scheduler.LRScheduler, bool]:
    """The learning-rate schedule, and whether it is stepped per batch (onecycle) or per epoch (step)."""
    if config.lr_schedule == "onecycle":
        return (
            torch.optim.lr_scheduler.OneCycleLR(
                optimizer,
                max_lr=[group["lr"] for group in optimizer.param_groups],
                epochs=config.epochs,
                steps_per_epoch=steps_per_epoch,
                pct_start=config.warmup_fraction,
                anneal_strategy="linear",
                cycle_momentum=False,
            ),
            True,
        )
    return torch.optim.lr_scheduler.MultiStepLR(optimizer, list(config.lr_milestones), config.lr_gamma), False


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


# --------------------------------------------------------------------------- precision


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


# --------------------------------------------------------------------------- one epoch, evaluation


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


# --------------------------------------------------------------------------- the run


def fit(config: TrainConfig, run: Run) -> dict[str, Any]:
    """Train ``config`` on ``run.data`` epoch by epoch (resuming where ``run`` says); the final results."""
    device, where = run.device, run.dist
    start = time.perf_counter()
    train_all, test = load_split(run.data.path, "train"), load_split(run.data.path, "test")
    decode_seconds = time.perf_counter() - start
    # One seed, independent streams: validation split, initial weights, batch order.
    streams = seed_streams(config.seed, ("split", "init", "batch"))
    train_data, val = train_val_split(train_all, config.val_size, streams["split"])
    if config.imbalance_factor > 1:
        train_data = long_tailed(train_data, config.imbalance_factor)
    counts = [int(n) for n in torch.bincount(train_data.labels, minlength=len(CLASSES))]
    precision, why = resolve_precision(config.precision, device)
    run.log(
        f"{len(train_data.labels)} train (per class {counts}), {len(val.labels)} validation, {len(test.labels)} "
        f"test images, decoded in {decode_seconds:.1f} s; model {config.model}; precision {precision} ({why}); "
        f"{torch.get_num_threads()} torch threads"
    )

    torch.manual_seed(torch_seed(streams["init"]))
    # channels_last: the memory layout oneDNN's and cuDNN's fastest convolutions work in.
    model = build_model(config).to(device, memory_format=torch.channels_last)
    net = distributed.wrap(model, where, device)  # DDP under torchrun, else the model itself
    criterion = build_criterion(config, counts).to(device)
    # Deferred re-weighting (Cao et al., 2019): no class weights for the first epochs.
    unweighted = build_criterion(config, counts, weighted=False).to(device)
    optimizer = make_optimizer(net, config)
    batch_seed = torch_seed(streams["batch"])
    dataset = InMemoryDataset(train_data, make_transform(config.augment, config.crop_padding))
    loader_args = {"num_workers": config.num_workers, "pin_memory": device.type == "cuda"}
    if where.active:
        per_process = math.ceil(len(dataset) / where.world_size)  # DistributedSampler's share
        steps = math.ceil(per_process / distributed.local_batch_size(config.batch_size, where))
    else:
        loader = make_loader(train_data, config, batch_seed, device)
        steps = len(loader)
    scheduler, per_batch = make_scheduler(optimizer, config, steps)

    state = run.resumed_state()
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        restore_scheduler(scheduler, state["scheduler"])
        restore_torch_rng_state(state["rng"])  # torch's global generators: the augmentation draws from them
        if not where.active:
            loader.generator.set_state(state["batch_generator"])

    for epoch in run.epochs():
        if where.active:  # each epoch's order from (batch_seed, epoch): the same in every process
            loader = distributed.shard_loader(
                dataset, config.batch_size, where, seed=batch_seed, epoch=epoch, **loader_args
            )
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc = train_epoch(
            net,
            criterion if epoch > config.reweight_start_epoch else unweighted,
            optimizer,
            loader,
            device,
            lambda batches, epoch=epoch: run.bar(batches, f"epoch {epoch}/{config.epochs}", steps),
            scheduler if per_batch else None,
            precision,
        )
        if not per_batch:
            scheduler.step()
        seen = len(loader.sampler)
        loss_sum, correct, count = distributed.all_reduce_sums(
            [train_loss * seen, round(train_acc * seen), seen], where
        )
        metrics = {"learning_rate": lr, "train_loss": loss_sum / count, "train_acc": correct / count}
        if len(val.labels) and where.is_main:  # only rank 0 prints and writes: the others need no validation
            metrics["val_loss"], metrics["val_acc"], _ = evaluate(model, val, device, precision=precision)
        run.end_epoch(
            metrics,
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": torch_rng_state(device),
                "batch_generator": loader.generator.get_state() if not where.active else torch.ByteTensor(),
            },
        )

    results: dict[str, Any] = {
        "precision": precision,  # what config.precision resolved to on this machine
        "torch_threads": torch.get_num_threads(),
        "num_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
        "num_train": len(train_data.labels),
        "num_val": len(val.labels),
        "num_test": len(test.labels),
        "train_class_counts": counts,
        "decode_seconds": decode_seconds,
    }
    if where.is_main:
        test_loss, test_acc, class_acc = evaluate(distributed.unwrap(net), test, device, precision=precision)
        run.log(f"test accuracy {test_acc:.4f} (loss {test_loss:.4f}); per class {[round(a, 3) for a in class_acc]}")
        torch.save(model.state_dict(), run.out / MODEL_FILE)
        results |= {
            "test_loss": test_loss,
            "test_accuracy": test_acc,
            "test_accuracy_per_class": dict(zip(CLASSES, class_acc, strict=True)),
        }
    return results
