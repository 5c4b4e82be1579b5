"""Tests of ``make bench-train`` (cnn_vis/bench_train.py) and of training.py's ``train_epoch``, which it times."""

from __future__ import annotations

import torch

from cnn_vis import bench_train
from cnn_vis.config import TrainConfig
from cnn_vis.training import build_model, make_training, train_epoch
from trainkit import bench
from trainkit.images import ImageData


def test_bench_train_prints_the_machine_and_every_variant(tmp_path, capsys):
    """Does a tiny run print the CPU features, the threads, one row per variant and the epoch estimate?"""
    config = tmp_path / "tiny.yaml"
    config.write_text("width: 4\nbatch_size: 4\nepochs: 6\n")
    threads = torch.get_num_threads()
    assert bench_train.main(["--config", str(config), "--rounds", "1", "--warmup", "0", "--threads", "1"]) == 0
    assert torch.get_num_threads() == threads  # --threads holds for the bench only
    out = capsys.readouterr().out
    assert "amx_bf16" in out and "avx512_bf16" in out and "1 threads" in out and "load average" in out
    for label in ("decode JPEG", "loader alone", "step fp32 channels-last", "step fp32 NCHW", "loop fp32", "evaluate"):
        assert label in out, label
    assert "step bf16 autocast channels-last" in out
    assert "1 thread " not in out.split("step fp32 NCHW")[1].split("loop")[0]  # one thread already: no such row
    assert "An epoch of 49,000 images" in out and "6 epochs:" in out


def test_bench_train_numbers_are_positive_and_ratios_are_against_the_fp32_step():
    with bench.torch_threads(2):  # two threads, so that the one-thread row is there
        timings = bench_train.run(TrainConfig(width=4), batch=4, steps=2, rounds=2, warmup=0)
    assert timings["step fp32 channels-last"].units == 8 and timings["loader"].units == 8
    assert timings["loop fp32 channels-last"].units == 8 and timings["evaluate fp32"].units == 4
    assert timings["decode"].units > 0  # the committed sample's training images
    assert all(len(t.wall) == 2 and t.per_second > 0 for t in timings.values())
    assert "step fp32 channels-last, 1 thread" in timings
    table = bench_train.format_table(timings)
    assert table[0].split()[:2] == ["img", "img/s"] and table[0].endswith("x fp32")
    rows = {line.split("  ")[0]: line for line in table[1:]}
    assert rows["step fp32 channels-last"].endswith("1.00x") and rows["loop fp32 channels-last"].endswith("-")


def test_bench_train_refuses_a_bad_config(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("width: 0\n")
    assert bench_train.main(["--config", str(config)]) == 2
    assert "width" in capsys.readouterr().err


def test_train_epoch_steps_the_model_and_the_schedule_once_a_batch():
    """train_epoch: two batches move every weight and the one-cycle schedule two steps; it returns a loss
    and an accuracy in [0, 1]."""
    torch.manual_seed(0)
    config = TrainConfig(width=4, batch_size=5, epochs=1)
    images = torch.randint(0, 256, (10, 3, 32, 32), dtype=torch.uint8)
    data = ImageData(images, torch.arange(10) % 10)
    model = build_model(config)
    optimizer, scheduler, loader = make_training(model, data, config, batch_seed=0)
    batches = [next(iter(loader)) for _ in range(2)]
    before = [p.detach().clone() for p in model.parameters()]
    loss, acc = train_epoch(model, optimizer, scheduler, batches, torch.device("cpu"))
    assert scheduler.last_epoch == 2 and 0 <= acc <= 1 and loss > 0
    assert all(not torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))
