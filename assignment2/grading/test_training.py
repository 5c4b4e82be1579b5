"""training.py in a trainkit run: exact resume from the per-epoch checkpoint, and two torchrun processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cifar_cnn.train import main
from trainkit.run import Run

ROOT = Path(__file__).resolve().parent.parent  # assignment2/
TINY = (
    "model: two_layer\nhidden_dim: 16\nepochs: 2\nbatch_size: 30\nval_size: 20\nlearning_rate: 0.05\n"
    "nesterov: true\nlr_schedule: onecycle\n"
)


class Interrupt(Exception):
    """Stands for a run killed between epochs."""


def _epochs(out: Path) -> list[dict]:
    metrics = json.loads((out / "metrics.json").read_text())
    return [{k: v for k, v in e.items() if k != "seconds"} for e in metrics["epochs"]]


def test_a_resumed_run_gives_the_metrics_and_weights_of_an_uninterrupted_one(tmp_path, monkeypatch):
    """Stopped after epoch 1 and resumed: are epoch 2's metrics and the final weights those of a straight run?
    (The one-cycle schedule, the batch order and the augmentation's generator must all continue.)"""
    monkeypatch.delenv("DATA_DIR", raising=False)
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY)
    args = ["--config", str(config), "--device", "cpu", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0

    real = Run.end_epoch

    def end_then_stop(self, metrics, state):
        real(self, metrics, state)
        raise Interrupt

    monkeypatch.setattr(Run, "end_epoch", end_then_stop)
    with pytest.raises(Interrupt):
        main([*args, "--out", str(tmp_path / "cut")])
    monkeypatch.setattr(Run, "end_epoch", real)
    cut = tmp_path / "cut-sample"
    assert len(_epochs(cut)) == 1 and not (cut / "model.pt").exists()
    assert main([*args, "--out", str(tmp_path / "cut")]) == 2  # not over a run without --resume
    assert main([*args, "--out", str(tmp_path / "cut"), "--resume"]) == 0

    whole = tmp_path / "whole-sample"
    assert _epochs(cut) == _epochs(whole)
    a, b = (torch.load(d / "model.pt", weights_only=True) for d in (whole, cut))
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=0, msg=name)
    final = json.loads((cut / "metrics.json").read_text())
    assert (
        final["finished"]
        and final["test_accuracy"] == json.loads((whole / "metrics.json").read_text())["test_accuracy"]
    )


@pytest.mark.slow
def test_two_gloo_processes_train_one_model_on_the_sample(tmp_path):
    """Does torchrun with 2 CPU processes train 1 epoch and write metrics.json that says 2 processes?"""
    config = tmp_path / "ddp.yaml"
    config.write_text("model: two_layer\nhidden_dim: 16\nepochs: 1\nbatch_size: 40\nval_size: 20\n")
    path = os.pathsep.join([str(ROOT.parent), str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}
    env.pop("DATA_DIR", None)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    cmd += ["-m", "cifar_cnn.train", "--config", str(config), "--no-progress", "--device", "cpu"]
    done = subprocess.run(
        [*cmd, "--out", str(tmp_path / "ddp")], env=env, cwd=ROOT, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    metrics = json.loads((tmp_path / "ddp-sample" / "metrics.json").read_text())
    assert metrics["processes"] == 2 and metrics["finished"] and len(metrics["epochs"]) == 1
    assert metrics["epochs"][0]["train_loss"] > 0 and 0 <= metrics["test_accuracy"] <= 1
    assert (tmp_path / "ddp-sample" / "model.pt").is_file()
