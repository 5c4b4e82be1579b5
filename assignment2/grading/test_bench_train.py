"""Tests of ``make bench-train`` (cifar_cnn/bench_train.py) and of how training.py picks its precision."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from cifar_cnn import bench_train
from cifar_cnn import training as ctrain
from cifar_cnn.config import ConfigError, TrainConfig

ROOT = Path(__file__).resolve().parent.parent


def test_bench_train_prints_the_machine_and_every_variant(tmp_path, capsys):
    """Does a tiny run print the CPU features, the threads and one row per variant with a rate?"""
    config = tmp_path / "tiny.yaml"
    config.write_text("model: vanilla_cnn\nbatch_size: 4\nprecision: auto\n")
    threads = torch.get_num_threads()
    assert bench_train.main(["--config", str(config), "--rounds", "1", "--warmup", "0", "--threads", "1"]) == 0
    assert torch.get_num_threads() == threads  # --threads holds for the bench only
    out = capsys.readouterr().out
    assert "amx_bf16" in out and "avx512_bf16" in out and "1 threads" in out and "load average" in out
    for label in ("decode JPEG", "loader alone", "evaluate fp32", "evaluate bf16"):
        assert label in out, label
    for kind in ("step", "loop"):
        for precision in ("fp32", "bf16"):
            assert f"{kind} {precision} channels-last" in out
    assert "step bf16 NCHW" in out
    assert "An epoch of 50,000 images" in out


def test_bench_train_numbers_are_positive_and_ratios_are_against_fp32():
    timings = bench_train.run(TrainConfig(model="two_layer", hidden_dim=8), batch=4, steps=2, rounds=2, warmup=0)
    assert timings["step fp32 channels-last"].units == 8 and timings["loader"].units == 8
    assert timings["decode"].units == 200  # the committed sample's training images
    assert all(len(t.wall) == 2 and t.per_second > 0 for t in timings.values())
    if torch.get_num_threads() > 1:  # what the other threads bring
        assert "step bf16 channels-last, 1 thread" in timings
    table = bench_train.format_table(timings)
    assert table[0].split()[:2] == ["img", "img/s"] and table[0].endswith("x fp32")
    fp32_row = next(line for line in table if line.startswith("step fp32 channels-last"))
    assert fp32_row.endswith("1.00x")


def test_bench_train_refuses_a_bad_config(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("precision: fp16\n")
    assert bench_train.main(["--config", str(config)]) == 2
    assert "precision" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("amx", "device", "expected"),
    [(False, "cpu", "fp32"), (True, "cpu", "bf16"), (False, "cuda", "bf16")],
)
def test_auto_precision_is_bf16_only_where_it_is_fast(monkeypatch, amx, device, expected):
    """bf16 on CUDA and on CPUs with AMX-BF16; fp32 on a CPU with AVX-512 BF16 alone, where bf16 is slower."""
    features = {"avx2": True, "avx512_f": True, "avx512_bf16": True, "amx_tile": amx, "amx_bf16": amx}
    monkeypatch.setattr(ctrain, "cpu_features", lambda: features)
    precision, why = ctrain.resolve_precision("auto", torch.device(device))
    assert precision == expected and why.startswith("auto")
    assert ctrain.resolve_precision("bf16", torch.device("cpu")) == ("bf16", "as configured")
    assert ctrain.resolve_precision("fp32", torch.device("cpu")) == ("fp32", "as configured")


def test_auto_is_a_precision_and_others_are_refused():
    assert TrainConfig(precision="auto").precision == "auto"
    with pytest.raises(ConfigError, match="precision"):
        TrainConfig(precision="bfloat16")
    assert set(ctrain.cpu_features()) == {"avx2", "avx512_f", "avx512_bf16", "amx_tile", "amx_bf16"}
    assert TrainConfig.load(ROOT / "configs" / "mymodel.yaml").precision in ("auto", "bf16", "fp32")


def test_bench_train_says_when_the_model_is_not_written_yet(monkeypatch, capsys):
    """In a handout MyModel raises NotImplementedError: one line saying so, not a traceback."""

    def stub(*args, **kwargs):
        raise NotImplementedError("MyModel.__init__: not implemented yet")

    monkeypatch.setattr(bench_train, "build_model", stub)
    assert bench_train.main(["--batch", "2", "--rounds", "1"]) == 2
    assert "not implemented yet (cifar_cnn/models.py)" in capsys.readouterr().err
