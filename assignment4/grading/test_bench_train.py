"""Tests of ``make bench-train`` (nmt/bench_train.py)."""

from __future__ import annotations

import pytest
import torch

from nmt import bench_train


@pytest.fixture
def keep_threads():
    """``--threads`` sets torch's global thread count: give the other tests theirs back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_bench_train_prints_the_machine_and_every_variant(tmp_path, capsys, keep_threads):
    """Does a tiny transformer on the committed sample print the CPU features and a rate per variant?"""
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "model: transformer\nhidden_dim: 16\nnum_heads: 2\nnum_encoder_layers: 1\nnum_decoder_layers: 1\n"
        "dim_feedforward: 16\nbatch_size: 8\n"
    )
    argv = ["--config", str(config), "--steps", "2", "--rounds", "1", "--warmup", "0", "--threads", "1"]
    assert bench_train.main(argv) == 0
    out = capsys.readouterr().out
    assert "amx_bf16" in out and "avx512_bf16" in out and "threads" in out and "load average" in out
    rows = {line.split("  ")[0]: line for line in out.splitlines()}
    for name in ("batches", "step fp32", "step bf16 autocast", "loop fp32"):
        assert name in rows, name
    assert rows["step fp32"].endswith("1.00x")
    assert rows["loop fp32"].split()[2:4] == rows["step fp32"].split()[2:4]  # the same 16 pairs and their tokens
    assert rows["loop fp32"].split()[2] == "16"


def test_interleaved_runs_the_variants_in_turn():
    """A/B/A/B, not A/A/B/B: a burst of load on a shared machine must hit every variant alike."""
    calls = []
    timings = bench_train.interleaved(
        {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, (4, 40), rounds=2, warmup=1
    )
    assert calls == ["a", "b"] * 3
    assert timings["a"].tokens == 40 and len(timings["b"].wall) == 2
    with pytest.raises(ValueError, match="rounds"):
        bench_train.interleaved({}, (1, 1), rounds=0)


def test_bench_train_refuses_bad_arguments(capsys):
    assert bench_train.main(["--steps", "0"]) == 2
    assert "--steps" in capsys.readouterr().err
