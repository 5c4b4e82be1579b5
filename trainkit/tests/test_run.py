"""The run folder: metrics.json, curves.png, a checkpoint per epoch, exact resume, the sample's own folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from trainkit.config import Config
from trainkit.files import load_state, save_state
from trainkit.run import (
    DataSource,
    Run,
    RunError,
    main,
    resolve_data,
    restore_scheduler,
    restore_torch_rng_state,
    run_folder,
    seed_streams,
    torch_rng_state,
)


@dataclass(frozen=True)
class ToyConfig(Config):
    epochs: int = 4
    learning_rate: float = 0.1
    batch_size: int = 8
    seed: int = 0


class Interrupt(Exception):
    pass


def toy_fit(config: ToyConfig, run: Run, stop_after: int | None = None) -> dict:
    """Least squares by minibatch SGD, with a data-order stream whose state the checkpoint keeps."""
    streams = seed_streams(config.seed, ("data", "init", "order"))
    X = streams["data"].normal(size=(64, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * streams["data"].normal(size=64)
    w, order = streams["init"].normal(size=3), streams["order"]
    state = run.resumed_state()
    if state is not None:
        w = state["w"]
        order.bit_generator.state = state["order"]
    for epoch in run.epochs():
        losses = []
        for batch in np.array_split(order.permutation(64), 64 // config.batch_size):
            residual = X[batch] @ w - y[batch]
            losses.append(float(np.mean(residual**2)))
            w = w - config.learning_rate * X[batch].T @ residual / len(batch)
        run.end_epoch(
            {"train_loss": np.mean(losses), "val_loss": float(np.mean((X @ w - y) ** 2))},
            {
                "w": w,
                "order": order.bit_generator.state,
            },
        )
        if stop_after == epoch:
            raise Interrupt
    return {"w": w.tolist()}


def make_run(out: Path, config: ToyConfig, resume: bool = False, sample: bool = False) -> Run:
    return Run(
        out, config, data=DataSource(out, sample), resume=resume, checkpoint_name="checkpoint.npz", log=lambda s: None
    )


def test_resume_gives_the_uninterrupted_run(tmp_path):
    config = ToyConfig()
    whole = make_run(tmp_path / "whole", config)
    expected = whole.finish(toy_fit(config, whole))
    cut = make_run(tmp_path / "cut", config)
    with pytest.raises(Interrupt):
        toy_fit(config, cut, stop_after=2)
    partial = json.loads((tmp_path / "cut" / "metrics.json").read_text())
    assert [e["epoch"] for e in partial["epochs"]] == [1, 2] and partial["finished"] is False
    with pytest.raises(RunError, match="holds a run already: pass --resume"):
        make_run(tmp_path / "cut", config)
    resumed = make_run(tmp_path / "cut", config, resume=True)
    assert resumed.epochs_done == 2
    got = resumed.finish(toy_fit(config, resumed))
    assert got["w"] == expected["w"]
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in got["epochs"]]
    assert strip == [{k: v for k, v in e.items() if k != "seconds"} for e in expected["epochs"]]
    assert (tmp_path / "cut" / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert got["finished"] is True and got["config"] == config.to_dict()


def test_resume_refuses_another_config_but_allows_more_epochs(tmp_path):
    run = make_run(tmp_path, ToyConfig(epochs=2))
    run.finish(toy_fit(ToyConfig(epochs=2), run))
    with pytest.raises(RunError, match=r"differs in \['learning_rate'\]\); only epochs may change"):
        make_run(tmp_path, ToyConfig(epochs=2, learning_rate=0.2), resume=True)
    longer = make_run(tmp_path, ToyConfig(epochs=3), resume=True)
    assert longer.epochs_done == 2 and list(range(longer.epochs_done + 1, longer.total_epochs + 1)) == [3]
    with pytest.raises(RunError, match="more than epochs 1"):
        make_run(tmp_path, ToyConfig(epochs=1), resume=True)


def test_an_epoch_must_be_ended(tmp_path):
    run = make_run(tmp_path, ToyConfig())
    with pytest.raises(RunError, match=r"epoch 1 ended without run\.end_epoch"):
        for _ in run.epochs():
            pass


def test_sample_runs_go_to_their_own_folder(tmp_path):
    full, sample = DataSource(tmp_path, False), DataSource(tmp_path, True)
    assert run_folder(None, "configs/two_layer.yaml", full) == Path("runs/two_layer")
    assert run_folder(None, "configs/two_layer.yaml", sample) == Path("runs/two_layer-sample")
    assert run_folder("out/a", "c.yaml", sample) == Path("out/a-sample")
    assert run_folder("out/a-sample", "c.yaml", sample) == Path("out/a-sample")


def test_resolve_data_marks_the_sample(tmp_path, monkeypatch):
    sample_dir, full_dir = tmp_path / "sample", tmp_path / "full"
    sample_dir.mkdir()
    full_dir.mkdir()

    def find(path: Path) -> Path:
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no data here")
        return path

    monkeypatch.delenv("DATA_DIR", raising=False)
    assert resolve_data(None, sample_dir, find) == DataSource(sample_dir, True)
    assert resolve_data(str(full_dir), sample_dir, find) == DataSource(full_dir, False)
    assert resolve_data(str(sample_dir), sample_dir, find).sample is True
    monkeypatch.setenv("DATA_DIR", str(full_dir))
    assert resolve_data(None, sample_dir, find) == DataSource(full_dir, False)
    with pytest.raises(FileNotFoundError, match="nowhere: no data here"):
        resolve_data(str(tmp_path / "nowhere"), sample_dir, find)


def test_npz_state_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    state = {"w": {"W1": np.arange(6.0).reshape(2, 3)}, "rng": rng.bit_generator.state, "list": [1, np.ones(2)]}
    save_state(tmp_path / "s.npz", state)
    back = load_state(tmp_path / "s.npz")
    np.testing.assert_array_equal(back["w"]["W1"], state["w"]["W1"])
    np.testing.assert_array_equal(back["list"][1], np.ones(2))
    other = np.random.default_rng()
    other.bit_generator.state = back["rng"]
    assert other.integers(1 << 30) == rng.integers(1 << 30)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"junk\.npz: not a checkpoint"):
        load_state(tmp_path / "junk.npz")


def test_main_end_to_end(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DATA_DIR", raising=False)
    (tmp_path / "sample").mkdir()
    config = tmp_path / "toy.yaml"
    config.write_text("epochs: 2\nlearning_rate: 5e-2\n")
    kwargs = dict(
        prog="toy",
        description="toy",
        config_type=ToyConfig,
        sample_dir=tmp_path / "sample",
        find_data=lambda p: p,
        fit=toy_fit,
        uses_torch=False,
        checkpoint_name="checkpoint.npz",
    )
    out = tmp_path / "runs" / "toy"
    assert main(["--config", str(config), "--out", str(out), "--epochs", "3", "--no-progress"], **kwargs) == 0
    printed = capsys.readouterr().out
    assert "NOTE: training on the bundled sample" in printed and "toy-sample" in printed
    metrics = json.loads((tmp_path / "runs" / "toy-sample" / "metrics.json").read_text())
    assert metrics["config"]["epochs"] == 3 and metrics["config"]["learning_rate"] == 0.05
    assert metrics["data"]["sample"] is True and len(metrics["epochs"]) == 3
    assert not out.exists()
    # Errors are one line on stderr and exit status 2.
    assert main(["--config", str(config), "--out", str(out), "--no-progress"], **kwargs) == 2  # holds a run
    assert "holds a run already" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("epoch: 2\n")
    assert main(["--config", str(bad)], **kwargs) == 2
    assert "unknown key ['epoch']" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse: NumPy runs have no cuda choice
        main(["--config", str(config), "--device", "cuda"], **kwargs)


def test_torch_rng_state_through_a_checkpoint_replays_the_same_draws(tmp_path):
    """After a checkpoint round trip, does restore_torch_rng_state make torch draw again what it drew after the save?"""
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    save_state(tmp_path / "checkpoint.pt", {"rng": torch_rng_state("cpu")})
    expected = torch.rand(4)
    torch.rand(100)  # the run goes on, then stops
    restore_torch_rng_state(load_state(tmp_path / "checkpoint.pt")["rng"])
    assert torch.equal(torch.rand(4), expected)
    assert "cuda" not in torch_rng_state(torch.device("cpu"))
    with pytest.raises(ValueError, match="torch_rng_state"):
        restore_torch_rng_state({"torch": torch.get_rng_state()})


def test_torch_rng_state_on_cuda_saves_every_cuda_generator(tmp_path):
    """On a CUDA device, are all CUDA generators saved and restored, also from a checkpoint loaded onto the GPU?"""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here")
    torch.manual_seed(5)
    state = torch_rng_state(torch.device("cuda"))
    assert len(state["cuda"]) == torch.cuda.device_count()
    save_state(tmp_path / "checkpoint.pt", {"rng": state})
    expected = torch.rand(4, device="cuda"), torch.rand(4)
    torch.rand(100, device="cuda")
    restore_torch_rng_state(load_state(tmp_path / "checkpoint.pt", map_location="cuda")["rng"])
    assert torch.equal(torch.rand(4, device="cuda"), expected[0]) and torch.equal(torch.rand(4), expected[1])


def test_restore_scheduler_refuses_a_one_cycle_schedule_of_another_length():
    """A one-cycle schedule saved for 10 steps goes on exactly in one of 10 steps, and is refused (RunError
    naming both lengths) by one of 20, where torch would stop the run at step 10."""
    import torch

    def schedule(total: int) -> torch.optim.lr_scheduler.OneCycleLR:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=total)

    saved = schedule(10)
    for _ in range(4):
        saved.optimizer.step()
        saved.step()
    same = schedule(10)
    restore_scheduler(same, saved.state_dict())
    assert same.last_epoch == 4 and same.get_last_lr() == saved.get_last_lr()
    with pytest.raises(RunError, match=r"planned for 10 steps, this run's for 20"):
        restore_scheduler(schedule(20), saved.state_dict())
    steps = torch.optim.lr_scheduler.MultiStepLR(same.optimizer, [2])  # no planned length: restored as saved
    restore_scheduler(steps, torch.optim.lr_scheduler.MultiStepLR(same.optimizer, [2]).state_dict())
