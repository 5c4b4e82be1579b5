"""The starter's training entry point: what a run writes, resuming, and the errors a student can cause."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from project.starter.train import main

STARTER = Path(__file__).resolve().parents[1] / "starter"
TINY = str(STARTER / "configs" / "tiny.yaml")


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: the tiny model is faster so, and the 2-core machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def train(out: Path, *extra: str) -> int:
    return main(["--config", TINY, "--out", str(out), "--device", "cpu", "--no-progress", *extra])


def test_a_run_writes_metrics_curves_and_a_checkpoint(tmp_path):
    """Does a 2-epoch run write metrics.json (config and per-epoch metrics), curves.png and a loadable checkpoint?"""
    out = tmp_path / "run"
    assert train(out, "--epochs", "2", "--seed", "7") == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["seed"] == 7 and metrics["config"]["epochs"] == 2
    assert metrics["config"]["learning_rate"] == 0.01  # written 1e-2 in tiny.yaml
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    for epoch in metrics["epochs"]:
        assert {"train_loss", "train_acc", "val_loss", "val_acc", "seconds"} <= set(epoch)
        assert 0.0 <= epoch["val_acc"] <= 1.0 and epoch["val_loss"] > 0
    assert metrics["final"]["val_acc"] == metrics["epochs"][-1]["val_acc"]
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert len(state["epochs"]) == 2 and "model" in state and "optimizer" in state


def test_resuming_continues_exactly_where_the_run_stopped(tmp_path):
    """Do 2 epochs then --resume --epochs 4 give the same metrics and weights as 4 epochs straight?"""
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert train(straight, "--epochs", "4") == 0
    assert train(resumed, "--epochs", "2") == 0
    assert train(resumed, "--epochs", "4", "--resume") == 0
    a = json.loads((straight / "metrics.json").read_text())["epochs"]
    b = json.loads((resumed / "metrics.json").read_text())["epochs"]
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        np.testing.assert_allclose([e[key] for e in b], [e[key] for e in a], rtol=1e-6, err_msg=key)
    wa = torch.load(straight / "checkpoint.pt", weights_only=True)["model"]
    wb = torch.load(resumed / "checkpoint.pt", weights_only=True)["model"]
    for name in wa:
        torch.testing.assert_close(wb[name], wa[name], rtol=1e-6, atol=1e-7, msg=name)


def test_an_existing_run_is_not_overwritten_without_resume(tmp_path, capsys):
    """Does training into a folder that holds a run, without --resume, stop with exit 2 and say why?"""
    out = tmp_path / "run"
    assert train(out, "--epochs", "1") == 0
    assert train(out, "--epochs", "1") == 2
    assert "pass --resume" in capsys.readouterr().err


def test_resuming_with_another_config_is_refused(tmp_path, capsys):
    """Does --resume with another seed stop with exit 2 and name the seed?"""
    out = tmp_path / "run"
    assert train(out, "--epochs", "1") == 0
    assert train(out, "--epochs", "2", "--seed", "5", "--resume") == 2
    assert "differs in ['seed']" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_asking_for_cuda_without_cuda_is_a_clear_error(tmp_path, capsys):
    """Does --device cuda on a CPU-only machine stop with exit 2 and say that no CUDA device is available?"""
    assert main(["--config", TINY, "--out", str(tmp_path), "--device", "cuda"]) == 2
    assert "no CUDA device" in capsys.readouterr().err


def test_a_data_folder_of_npz_arrays_is_used(tmp_path):
    """Does --data-dir with train.npz and val.npz (3x8x8 images, 4 classes) train on those arrays?"""
    rng = np.random.default_rng(0)
    for split, n in (("train", 40), ("val", 20)):
        images = rng.standard_normal((n, 3, 8, 8)).astype(np.float32)
        np.savez(tmp_path / f"{split}.npz", images=images, labels=np.arange(n) % 4)
    out = tmp_path / "run"
    assert train(out, "--epochs", "1", "--data-dir", str(tmp_path)) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["num_train"], metrics["num_val"], metrics["data"]) == (40, 20, str(tmp_path))


def test_a_copy_of_the_starter_runs_outside_the_course_repository(tmp_path):
    """Does starter/ copied into another folder, with trainkit/ beside it, train and tabulate there?"""
    shutil.copytree(STARTER, tmp_path / "starter", ignore=shutil.ignore_patterns("__pycache__"))
    ignore = shutil.ignore_patterns("__pycache__", "tests")
    shutil.copytree(STARTER.parents[1] / "trainkit", tmp_path / "trainkit", ignore=ignore)
    script = (
        "from starter.train import main; from starter.results_table import main as table; "
        "assert main(['--config', 'starter/configs/tiny.yaml', '--epochs', '1', '--out', 'run', "
        "'--no-progress']) == 0; "
        "assert table(['run']) == 0"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}  # the course repository is not importable
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| tiny | 1 |" in done.stdout
    assert (tmp_path / "run" / "metrics.json").is_file()
