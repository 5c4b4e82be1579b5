"""torchrun with two gloo processes on the CPU: the same global batch, the same steps as one process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.utils.data.distributed import DistributedSampler

from trainkit.distributed import Distributed, from_environment, local_batch_size

ROOT = Path(__file__).resolve().parents[2]


def test_one_process_without_torchrun(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert from_environment() == Distributed()
    assert not Distributed().active and Distributed().is_main


def test_the_global_batch_must_split_evenly():
    assert local_batch_size(128, Distributed(0, 2, 0, "gloo")) == 64
    with pytest.raises(ValueError, match="batch_size 127: must be a multiple of the 2 processes"):
        local_batch_size(127, Distributed(0, 2, 0, "gloo"))


@pytest.mark.slow
def test_two_processes_take_the_steps_of_one_on_the_global_batch(tmp_path):
    out = tmp_path / "ddp.pt"
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    done = subprocess.run(
        [*cmd, str(Path(__file__).with_name("ddp_script.py")), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = torch.load(out, weights_only=True)
    assert got["total"] == [80.0, 1.0]  # 2 epochs x 40 examples, ranks 0 + 1

    # One process, stepping on the union of the two shards' k-th batches: the same global batch.
    generator = torch.Generator().manual_seed(0)
    X, y = torch.randn(40, 3, generator=generator), torch.randn(40, generator=generator)
    model = torch.nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.fill_(0.5)
        model.bias.fill_(-0.25)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(2):
        shards = []
        for rank in range(2):
            sampler = DistributedSampler(range(40), 2, rank, shuffle=True, seed=5)
            sampler.set_epoch(epoch)
            shards.append(list(sampler))
        for k in range(0, 20, 4):
            index = torch.tensor(shards[0][k : k + 4] + shards[1][k : k + 4])
            # DDP averages the two processes' mean losses' gradients: equal halves, so the global mean.
            loss = torch.nn.functional.mse_loss(model(X[index]).squeeze(1), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    torch.testing.assert_close(got["weight"], model.weight.detach(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(got["bias"], model.bias.detach(), rtol=1e-5, atol=1e-6)
