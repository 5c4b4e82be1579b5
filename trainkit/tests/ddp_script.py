"""Run by test_distributed under torchrun: a few SGD steps of a linear model on sharded batches."""

from __future__ import annotations

import sys

import torch
from torch.utils.data import TensorDataset

from trainkit import distributed


def main(out: str) -> None:
    where, device = distributed.setup(torch.device("cpu"))
    assert where.world_size == 2 and where.backend == "gloo", where
    generator = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 3, generator=generator), torch.randn(40, generator=generator)
    model = torch.nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.fill_(0.5)
        model.bias.fill_(-0.25)
    ddp = distributed.wrap(model, where, device)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=0.1)
    seen = 0.0
    for epoch in range(2):
        for xb, yb in distributed.shard_loader(TensorDataset(X, y), 8, where, seed=5, epoch=epoch):
            loss = torch.nn.functional.mse_loss(ddp(xb).squeeze(1), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            seen += len(yb)
    total = distributed.all_reduce_sums([seen, where.rank], where)
    if where.is_main:
        torch.save({"weight": model.weight.detach(), "bias": model.bias.detach(), "total": total}, out)
    distributed.teardown(where)


if __name__ == "__main__":
    main(sys.argv[1])
