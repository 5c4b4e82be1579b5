"""Tests of ``make bench-train`` (mnist_mlp/bench_train.py) on the reference."""

from __future__ import annotations

from mnist_mlp import bench_train


def test_bench_train_prints_the_machine_and_every_variant(capsys):
    assert bench_train.main(["--steps", "2", "--rounds", "1", "--warmup", "0"]) == 0
    out = capsys.readouterr().out
    assert "machine: " in out and "CPU features: avx2" in out and "BLAS" in out
    for row in ("batches", "step float32, batch 64", "step float64, batch 64", "step float32, batch 16"):
        assert row in out
    assert "step float32, batch 256" in out and "loop float32" in out and "evaluate float32" in out
    assert "An epoch of 59,000 images at the loop's rate" in out


def test_bench_train_refuses_bad_arguments(capsys, tmp_path):
    assert bench_train.main(["--steps", "0"]) == 2
    assert "--steps: expected >= 1" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("hidden: 3\n")
    assert bench_train.main(["--config", str(bad)]) == 2
    assert "unknown key ['hidden']" in capsys.readouterr().err
