"""Tests of ``make bench-train`` (nmt/bench_train.py)."""

from __future__ import annotations

import torch

from nmt import bench_train


def test_bench_train_prints_the_machine_and_every_variant(tmp_path, capsys):
    """Does a tiny transformer on the committed sample print the CPU features and a rate per variant?"""
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "model: transformer\nhidden_dim: 16\nnum_heads: 2\nnum_encoder_layers: 1\nnum_decoder_layers: 1\n"
        "dim_feedforward: 16\nbatch_size: 8\n"
    )
    argv = ["--config", str(config), "--steps", "2", "--rounds", "1", "--warmup", "0", "--threads", "1"]
    threads = torch.get_num_threads()
    assert bench_train.main(argv) == 0
    assert torch.get_num_threads() == threads  # --threads holds for the bench only
    out = capsys.readouterr().out
    assert "amx_bf16" in out and "avx512_bf16" in out and "threads" in out and "load average" in out
    lines = out.splitlines()
    head = next(line for line in lines if line.lstrip().startswith("tok "))
    assert head.split() == ["tok", "tok/s", "pairs", "pairs/s", "ms/round", "cpu", "cpu", "ms/tok", "x", "fp32"]
    rows = {line.split("  ")[0]: line for line in lines}
    for name in ("batches", "step fp32", "step bf16 autocast", "loop fp32"):
        assert name in rows, name
    assert rows["step fp32"].endswith("1.00x")
    # columns after the two-word name: tokens, tok/s, pairs, ...: the same 16 pairs and their tokens
    assert rows["loop fp32"].split()[2] == rows["step fp32"].split()[2] == rows["batches"].split()[1]
    assert rows["loop fp32"].split()[4] == rows["step fp32"].split()[4] == "16"


def test_bench_train_refuses_bad_arguments(capsys):
    assert bench_train.main(["--steps", "0"]) == 2
    assert "--steps" in capsys.readouterr().err
