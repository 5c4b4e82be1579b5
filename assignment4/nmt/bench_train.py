"""``make bench-train``: target tokens per second of a short, fixed slice of training, on the CPU.

Prints the machine first (``trainkit.bench``'s header, the same in every assignment: CPU model,
the instruction sets that decide oneDNN's kernels, CPUs and cgroup quota, the load average; then
torch's threads), then times, interleaved round by round in this one process so that
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
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from nmt import data as nmt_data
from nmt.config import TrainConfig
from nmt.training import build_model, prepare_data, train_epoch
from trainkit import bench
from trainkit.config import ConfigError
from trainkit.run import resolve_data

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "transformer.yaml"


def torch_line() -> str:
    """torch's threads and oneDNN, for the machine header (``trainkit.bench.machine_lines``'s ``extra``)."""
    return (
        f"  torch {torch.__version__}: {torch.get_num_threads()} threads (interop {torch.get_num_interop_threads()});"
        f" oneDNN available {torch.backends.mkldnn.is_available()}"
    )


def build_tasks(config: TrainConfig, data: nmt_data.Corpus, vocab_sizes: tuple[int, int], steps: int, seed: int = 0):
    """The timed variants, each returning the target tokens it scored (or batched), and the
    (sentences, tokens) each processes a round: ``steps`` batches of the config's size from the start of ``data``."""
    n = min(len(data), steps * config.batch_size)
    if n < 1:
        raise ValueError("no training pairs to time")
    part = nmt_data.Corpus(data.src[:n], data.tgt[:n])
    fixed = list(nmt_data.batches(part, config.batch_size))  # padded once, in data order
    tokens = sum(int((tgt[:, 1:] != nmt_data.PAD_IDX).sum()) for _, tgt in fixed)
    device = torch.device("cpu")

    def trainer(batches: Callable[[], object], threads: int | None = None, bf16: bool = False) -> Callable[[], int]:
        torch.manual_seed(seed)
        model = build_model(config, *vocab_sizes).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)

        def run() -> int:
            with bench.torch_threads(threads), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                train_epoch(model, optimizer, batches(), device, config.grad_clip, config.label_smoothing)
            return tokens

        return run

    gen = torch.Generator().manual_seed(seed)

    def batch_only() -> int:
        for _ in nmt_data.batches(part, config.batch_size, gen):  # shuffled: another padding, the same tokens
            pass
        return tokens

    tasks: dict[str, Callable[[], int]] = {
        "batches": batch_only,
        "step fp32": trainer(lambda: fixed),
    }
    if torch.get_num_threads() > 1:
        tasks["step fp32, 1 thread"] = trainer(lambda: fixed, threads=1)
    tasks["step bf16 autocast"] = trainer(lambda: fixed, bf16=True)
    tasks["loop fp32"] = trainer(lambda: nmt_data.batches(part, config.batch_size, gen))
    return tasks, (n, tokens)


def format_table(timings: dict[str, bench.Timing], pairs: int) -> list[str]:
    """``trainkit.bench.format_table`` in target tokens, with the ``pairs`` each row processes a round beside
    them; the step rows against the float32 step."""
    return bench.format_table(
        timings,
        "tok",
        baseline=lambda name: "step fp32" if name.startswith("step") else None,
        width=34,
        also=("pairs", dict.fromkeys(timings, pairs)),
        ratio_header="x fp32",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench.argument_parser("python -m nmt.bench_train", __doc__, DEFAULT_CONFIG, steps=2)
    parser.add_argument("--data-dir", default=None, help="Multi30k folder (else DATA_DIR, else the sample)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="The PyTorch API of nested tensors is in prototype stage")
    try:
        config = TrainConfig.load(args.config)
        with bench.torch_threads(args.threads):  # put back after: main may run in-process
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
            for line in bench.machine_lines(torch_threads=torch.get_num_threads(), extra=[torch_line()]):
                print(line)
            tasks, (pairs, _) = build_tasks(config, data.train, (len(data.src_vocab), len(data.tgt_vocab)), args.steps)
            timings = bench.interleaved(tasks, args.rounds, args.warmup)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:  # a handout whose model is not written yet
        print(f"error: {config.model} is not implemented yet: {exc}", file=sys.stderr)
        return 2
    for line in format_table(timings, pairs):
        print(line)
    loop = timings["loop fp32"]
    print(
        f"load average at the end: {bench.load_average()}. An epoch of {len(data.train):,} pairs at the fp32 loop's "
        f"rate: {len(data.train) * loop.seconds / pairs:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
