"""``make bench-train``: target tokens per second of a short, fixed slice of training, on the CPU.

Prints the machine first (CPU model, the instruction sets that decide oneDNN's kernels, torch's
threads, the load average), then times, interleaved round by round in this one process so that
a burst of load on a shared machine hits every variant alike:

- ``batches``: ``data.batches`` alone (shuffling, padding, collation) over the slice;
- ``step``: training.py's ``train_epoch`` (teacher forcing, loss, backward, clipping, Adam) on
  fixed batches, in float32 on torch's threads and on one thread, and under bfloat16 autocast
  (not a training option here: to see whether it would pay on this CPU);
- ``loop``: ``train_epoch`` over ``data.batches`` (batching and step together), float32.

The data are the config's training pairs from ``--data-dir`` (else ``DATA_DIR``, else the
committed sample, whose vocabularies are much smaller than the full Multi30k's: the header says
which). ``tok/s`` counts target tokens scored by the loss; ``cpu`` is the process's CPU time
over the wall time (200% = both of two cores busy); ``x fp32`` compares with the float32 step.
The same machine header as assignment 2's ``make bench-train``, so two runs can be set side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from nmt import data as nmt_data
from nmt.config import TrainConfig
from nmt.training import build_model, prepare_data, train_epoch
from trainkit.config import ConfigError
from trainkit.run import resolve_data

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "transformer.yaml"
FEATURES = ("avx2", "avx512_f", "avx512_bf16", "amx_tile", "amx_bf16")


@dataclass
class Timing:
    """Wall and CPU seconds of each round of one variant that scored ``tokens`` target tokens a round."""

    sentences: int
    tokens: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(self.wall)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds

    @property
    def cpu_share(self) -> float:
        return statistics.median(self.cpu) / self.seconds


def interleaved(tasks: dict[str, Callable[[], None]], sizes: tuple[int, int], rounds: int, warmup: int = 1):
    """Run every task once a round, in turn, after ``warmup`` untimed rounds; ``sizes``: (sentences, tokens)."""
    if rounds < 1:
        raise ValueError(f"rounds: expected >= 1, got {rounds}")
    for _ in range(warmup):
        for task in tasks.values():
            task()
    timings = {name: Timing(*sizes) for name in tasks}
    for _ in range(rounds):
        for name, task in tasks.items():
            wall0, cpu0 = time.perf_counter(), time.process_time()
            task()
            timings[name].wall.append(time.perf_counter() - wall0)
            timings[name].cpu.append(time.process_time() - cpu0)
    return timings


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min)" if hasattr(os, "getloadavg") else "n/a"


def machine_lines() -> list[str]:
    """CPU model, features, CPUs, torch threads and the load average, in a few lines."""
    model = "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    caps = torch.cpu.get_capabilities()
    features = ", ".join(f"{name} {'yes' if caps.get(name) else 'no'}" for name in FEATURES)
    env = ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"))
    return [
        f"machine: {model}, {cores} CPUs for this process, load average {_load()}",
        f"  CPU features (torch.cpu.get_capabilities): {features}",
        f"  torch {torch.__version__}: {torch.get_num_threads()} threads (interop {torch.get_num_interop_threads()}),"
        f" {env}; oneDNN available {torch.backends.mkldnn.is_available()}",
    ]


def build_tasks(config: TrainConfig, data: nmt_data.Corpus, vocab_sizes: tuple[int, int], steps: int, seed: int = 0):
    """The timed variants and the (sentences, tokens) each processes a round: ``steps`` batches of the
    config's size from the start of ``data``."""
    n = min(len(data), steps * config.batch_size)
    if n < 1:
        raise ValueError("no training pairs to time")
    part = nmt_data.Corpus(data.src[:n], data.tgt[:n])
    fixed = list(nmt_data.batches(part, config.batch_size))  # padded once, in data order
    tokens = sum(int((tgt[:, 1:] != nmt_data.PAD_IDX).sum()) for _, tgt in fixed)
    device = torch.device("cpu")

    def trainer(batches: Callable[[], object], threads: int | None = None, bf16: bool = False) -> Callable[[], None]:
        torch.manual_seed(seed)
        model = build_model(config, *vocab_sizes).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)

        def run() -> None:
            before = torch.get_num_threads()
            if threads is not None:
                torch.set_num_threads(threads)
            try:
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                    train_epoch(model, optimizer, batches(), device, config.grad_clip, config.label_smoothing)
            finally:
                torch.set_num_threads(before)

        return run

    gen = torch.Generator().manual_seed(seed)
    tasks: dict[str, Callable[[], None]] = {
        "batches": lambda: sum(1 for _ in nmt_data.batches(part, config.batch_size, gen)),
        "step fp32": trainer(lambda: fixed),
    }
    if torch.get_num_threads() > 1:
        tasks["step fp32, 1 thread"] = trainer(lambda: fixed, threads=1)
    tasks["step bf16 autocast"] = trainer(lambda: fixed, bf16=True)
    tasks["loop fp32"] = trainer(lambda: nmt_data.batches(part, config.batch_size, gen))
    return tasks, (n, tokens)


def format_table(timings: dict[str, Timing]) -> list[str]:
    base = timings["step fp32"].tokens_per_second
    lines = [f"{'':34s} {'pairs':>6s} {'tokens':>7s} {'tok/s':>8s} {'pairs/s':>8s} {'ms/round':>9s} {'cpu':>5s} x fp32"]
    for name, t in timings.items():
        ratio = f"{t.tokens_per_second / base:5.2f}x" if name.startswith("step") else "     -"
        lines.append(
            f"{name:34s} {t.sentences:6d} {t.tokens:7d} {t.tokens_per_second:8.0f} {t.sentences / t.seconds:8.1f} "
            f"{1000 * t.seconds:9.0f} {100 * t.cpu_share:4.0f}% {ratio}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nmt.bench_train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="training config (default transformer.yaml)")
    parser.add_argument("--data-dir", default=None, help="Multi30k folder (else DATA_DIR, else the sample)")
    parser.add_argument("--steps", type=int, default=2, help="batches per variant and round (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the median is shown (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's choice)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")
    try:
        config = TrainConfig.load(args.config)
        if args.threads is not None:
            if args.threads < 1:
                raise ValueError(f"--threads: expected >= 1, got {args.threads}")
            torch.set_num_threads(args.threads)
        if args.steps < 1:
            raise ValueError(f"--steps: expected >= 1, got {args.steps}")
        data_dir = resolve_data(args.data_dir, nmt_data.SAMPLE_DIR, nmt_data.find_data).path
        data = prepare_data(data_dir, config)
        print(
            f"bench-train {args.config}: model {config.model}, batch {config.batch_size}, {args.steps} batches a "
            f"variant and round, median of {args.rounds} rounds after {args.warmup} untimed, interleaved; CPU"
        )
        print(
            f"data {data_dir}: {len(data.train)} train pairs; vocabularies de {len(data.src_vocab)}, "
            f"en {len(data.tgt_vocab)}"
        )
        for line in machine_lines():
            print(line)
        tasks, sizes = build_tasks(config, data.train, (len(data.src_vocab), len(data.tgt_vocab)), args.steps)
        timings = interleaved(tasks, sizes, args.rounds, args.warmup)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:  # a handout whose model is not written yet
        print(f"error: {config.model} is not implemented yet: {exc}", file=sys.stderr)
        return 2
    for line in format_table(timings):
        print(line)
    loop = timings["loop fp32"]
    print(
        f"load average at the end: {_load()}. An epoch of {len(data.train):,} pairs at the fp32 loop's rate: "
        f"{len(data.train) / (loop.sentences / loop.seconds):.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
