"""Distributed data-parallel training, when a run is launched with ``torchrun``.

``torchrun --nproc-per-node N -m PACKAGE.train --config ...`` starts N processes; each reads
``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` from its environment. On CUDA each process drives
one GPU with the NCCL backend; on a CPU the processes use gloo and share the cores (each gets
``cores / N`` torch threads). A run started without torchrun is one process and none of this
does anything, so the same training code serves both.

The configs do not change: ``batch_size`` stays the *global* batch, split evenly between the
processes (each takes ``batch_size / N`` examples a step, and DDP averages the gradients), so
the optimiser sees the same batch size and learning rate as in one process. Only rank 0 prints,
draws progress bars and writes files.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, Dataset

__all__ = ["Distributed", "all_reduce_sums", "local_batch_size", "setup", "shard_loader", "teardown", "wrap"]


@dataclasses.dataclass(frozen=True)
class Distributed:
    """Where this process stands among the run's processes (one process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str = ""  # "nccl", "gloo", or "" for one process

    @property
    def active(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that prints and writes."""
        return self.rank == 0


def from_environment() -> Distributed:
    """The torchrun variables, or one process when they are absent."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    return Distributed(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))


def setup(device: torch.device) -> tuple[Distributed, torch.device]:
    """Join the process group when launched by torchrun; returns where this process stands and its device.

    ``device`` is the one the user asked for (``resolve_device``); on CUDA each process takes
    ``cuda:LOCAL_RANK``.
    """
    import torch
    import torch.distributed as dist

    where = from_environment()
    if not where.active:
        return where, device
    if device.type == "cuda":
        backend = "nccl"
        device = torch.device("cuda", where.local_rank)
        torch.cuda.set_device(device)
    else:
        backend = "gloo"
        local = int(os.environ.get("LOCAL_WORLD_SIZE", where.world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    dist.init_process_group(backend=backend, rank=where.rank, world_size=where.world_size)
    return dataclasses.replace(where, backend=backend), device


def teardown(where: Distributed) -> None:
    """Leave the process group (a no-op for one process)."""
    if where.active:
        import torch.distributed as dist

        dist.destroy_process_group()


def wrap(model: nn.Module, where: Distributed, device: torch.device) -> nn.Module:
    """``model`` in DistributedDataParallel when there are several processes, else ``model`` itself."""
    if not where.active:
        return model
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (for saving and evaluating)."""
    return getattr(model, "module", model)


def local_batch_size(batch_size: int, where: Distributed) -> int:
    """Each process's share of the global ``batch_size``; a ValueError when it does not divide evenly."""
    if batch_size % where.world_size:
        raise ValueError(
            f"batch_size {batch_size}: must be a multiple of the {where.world_size} processes, "
            "so that every step averages the same global batch"
        )
    return batch_size // where.world_size


def shard_loader(
    dataset: Dataset, batch_size: int, where: Distributed, *, seed: int, epoch: int, **loader_args: Any
) -> DataLoader:
    """This process's share of one epoch of shuffled batches of the global ``batch_size``.

    Each epoch's order comes from ``seed`` and ``epoch`` (DistributedSampler), the same in every
    process, so the shards never overlap and a resumed run sees the same order.
    """
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    sampler = DistributedSampler(dataset, where.world_size, where.rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    return DataLoader(dataset, batch_size=local_batch_size(batch_size, where), sampler=sampler, **loader_args)


def all_reduce_sums(values: Sequence[float], where: Distributed) -> list[float]:
    """The sums of ``values`` over all processes (themselves for one process)."""
    if not where.active:
        return [float(v) for v in values]
    import torch
    import torch.distributed as dist

    device = torch.device("cuda", torch.cuda.current_device()) if where.backend == "nccl" else torch.device("cpu")
    total = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
    dist.all_reduce(total)
    return [float(v) for v in total.cpu()]
