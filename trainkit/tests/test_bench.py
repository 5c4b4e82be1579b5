"""The bench machinery: interleaved rounds, medians, ratios, the machine header."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from trainkit import bench
from trainkit.bench import Timing, format_table, interleaved, machine_lines


def test_interleaved_runs_each_task_once_a_round_in_turn():
    calls = []
    tasks = {"a": lambda: calls.append("a") or 10, "b": lambda: calls.append("b") or 20}
    timings = interleaved(tasks, rounds=3, warmup=1)
    assert calls == ["a", "b"] * 4
    assert timings["a"].units == 10 and len(timings["b"].wall) == 3
    with pytest.raises(ValueError, match="rounds: expected >= 1"):
        interleaved(tasks, rounds=0)


def test_median_rate_and_ratio_rows():
    fast, slow = Timing(100, [1.0, 0.5, 9.0], [1.0, 1.0, 1.0]), Timing(100, [2.0, 2.0, 2.0], [4.0, 4.0, 4.0])
    assert fast.seconds == 1.0 and fast.per_second == 100.0 and slow.cpu_share == 2.0
    lines = format_table({"fast": fast, "slow": slow}, "img", baseline=lambda n: "fast" if n == "slow" else None)
    assert lines[0].split()[:2] == ["img", "img/s"]
    assert lines[2].rstrip().endswith("0.50x") and lines[1].rstrip().endswith("-")


def test_machine_lines_warn_of_too_many_threads():
    lines = machine_lines(torch_threads=10_000)
    assert lines[0].startswith("machine: ") and "CPU features: avx2" in lines[1]
    assert "warning: 10000 threads" in lines[-1]
    assert not any("warning" in line for line in machine_lines(torch_threads=1))


def test_a_second_unit_adds_its_count_and_rate_columns():
    """Does ``also`` (nmt: pairs beside tokens) add a count and a rate, ``-`` for rows it does not name?"""
    timings = {"step": Timing(1000, [2.0], [2.0]), "batches": Timing(1000, [0.5], [0.5])}
    lines = format_table(timings, "tok", also=("pairs", {"step": 16}), ratio_header="x fp32")
    assert lines[0].split()[:4] == ["tok", "tok/s", "pairs", "pairs/s"] and lines[0].endswith("x fp32")
    step, batches = lines[1].split(), lines[2].split()
    assert step[1:5] == ["1000", "500", "16", "8.0"]
    assert batches[1:5] == ["1000", "2000", "-", "-"]
    assert format_table(timings, "tok")[0].split()[:3] == ["tok", "tok/s", "ms/round"]  # no second unit: as before


def test_cpu_features_are_torch_s_when_torch_is_there(monkeypatch):
    """With torch, do the features come from torch.cpu.get_capabilities (what picks its kernels, also on macOS)?"""
    import torch

    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: {"avx2": True, "amx_bf16": True, "avx512_f": False})
    monkeypatch.setattr(bench, "CPUINFO", Path("/nonexistent/cpuinfo"))
    assert bench.cpu_features() == {
        "avx2": True,
        "avx512_f": False,
        "avx512_bf16": False,
        "amx_tile": False,
        "amx_bf16": True,
    }


def test_cpu_features_fall_back_to_proc_cpuinfo_without_torch(monkeypatch, tmp_path):
    """Without torch, are /proc/cpuinfo's flags read, avx512f there being torch's avx512_f?"""
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("model name\t: Test CPU\nflags\t\t: fpu sse avx2 avx512f avx512_bf16\n")
    monkeypatch.setattr(bench, "CPUINFO", cpuinfo)
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    assert bench.cpu_features() == {
        "avx2": True,
        "avx512_f": True,
        "avx512_bf16": True,
        "amx_tile": False,
        "amx_bf16": False,
    }
    monkeypatch.setattr(bench, "CPUINFO", tmp_path / "missing")  # macOS without torch: nothing claimed
    assert not any(bench.cpu_features().values())


def test_on_one_thread_runs_the_task_on_one_thread_and_puts_the_count_back():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen = []
        task = bench.on_one_thread(lambda: seen.append(torch.get_num_threads()) or 7)
        assert task() == 7 and seen == [1] and torch.get_num_threads() == 2

        def fails() -> int:
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            bench.on_one_thread(fails)()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_argument_parser_has_the_shared_arguments_and_threads_only_for_torch(tmp_path):
    config = tmp_path / "mine.yaml"
    args = bench.argument_parser("prog", "First line.\nmore", config, steps=7).parse_args([])
    assert (args.config, args.steps, args.rounds, args.warmup, args.threads) == (str(config), 7, 3, 1, None)
    numpy_bench = bench.argument_parser("prog", "doc", config, steps=2, threads=False)
    assert not hasattr(numpy_bench.parse_args([]), "threads")
    with pytest.raises(SystemExit):
        numpy_bench.parse_args(["--threads", "1"])


def test_torch_threads_sets_the_count_for_the_block_and_puts_it_back():
    import torch

    before = torch.get_num_threads()
    with bench.torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), bench.torch_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before
    with bench.torch_threads(None):  # not given: torch's own count
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="--threads"), bench.torch_threads(0):
        pass
