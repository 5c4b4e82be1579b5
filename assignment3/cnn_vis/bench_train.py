"""``make bench-train``: images per second of a short, fixed slice of ``make model``'s training, and where
the time goes.

Prints the machine first (``trainkit.bench``'s header, the same in every assignment: CPU model, the
instruction sets that decide oneDNN's kernels, CPUs and cgroup quota, the load average; then torch's
threads), then times, interleaved round by round in this one process so that a burst of load on a
shared machine hits every variant alike:

- ``decode``: decoding the committed sample's JPEG files (a run decodes its data once, at the start);
- ``loader``: the DataLoader alone, as training.py builds it (random crops and flips, normalisation,
  collation);
- ``step``: training.py's ``train_epoch`` on one fixed, already augmented batch (forward, loss,
  backward, SGD step, schedule step) with the batch and CifarNet in the channels-last memory format
  (what training.py uses) and in the default NCHW one, channels-last on one thread (when torch has
  more: what the other threads bring), and channels-last under bfloat16 autocast (not a training
  option: to see whether it would pay);
- ``loop``: ``train_epoch`` over the loader (loader and step together), float32 channels-last;
- ``evaluate``: training.py's ``evaluate`` (forward only, no augmentation).

The images are random ``uint8`` of CIFAR-10's shape: no timing depends on their content, and no data
set is needed. Each figure is the median over the rounds; ``cpu`` is the process's CPU time over the
wall time (200% = both of two cores busy) and ``cpu ms/img`` that CPU time an image; ``x fp32`` is the
throughput against the float32 channels-last row of the same kind.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from cnn_vis.config import ConfigError, TrainConfig
from cnn_vis.data import SAMPLE_DIR, load_split
from cnn_vis.training import build_model, evaluate, make_training, train_epoch
from trainkit import bench
from trainkit.images import ImageData

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "model.yaml"
CHANNELS_LAST, NCHW = torch.channels_last, torch.contiguous_format


def build_tasks(config: TrainConfig, batch: int, steps: int, seed: int = 0) -> dict[str, Callable[[], int]]:
    """The timed variants, by name: each call processes ``steps`` batches of ``batch`` images (decode: the sample)."""
    if batch < 1 or steps < 1:
        raise ValueError(f"batch and steps: expected >= 1, got {batch} and {steps}")
    device = torch.device("cpu")
    config = config.replace(batch_size=batch)
    gen = torch.Generator().manual_seed(seed)
    n = batch * steps
    data = ImageData(
        torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=gen),
        torch.arange(n, dtype=torch.int64) % 10,
    )

    def trainer(
        memory_format: torch.memory_format, over_loader: bool = False, bf16: bool = False
    ) -> tuple[Callable[[], int], DataLoader]:
        torch.manual_seed(seed)
        model = build_model(config).to(device, memory_format=memory_format)
        # No schedule: a one-cycle schedule made for one epoch would run out over the rounds.
        optimizer, _, loader = make_training(model, data, config, seed)
        batches = loader if over_loader else [next(iter(loader))] * steps  # one augmented batch, ``steps`` times

        def run() -> int:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                train_epoch(model, optimizer, None, batches, device, memory_format)
            return n

        return run, loader

    def decode() -> int:
        return len(load_split(SAMPLE_DIR, "train").labels)

    loop, loader = trainer(CHANNELS_LAST, over_loader=True)

    def load() -> int:
        return sum(len(y) for _, y in loader)

    tasks: dict[str, Callable[[], int]] = {"decode": decode, "loader": load}
    tasks["step fp32 channels-last"] = trainer(CHANNELS_LAST)[0]
    tasks["step fp32 NCHW"] = trainer(NCHW)[0]
    if torch.get_num_threads() > 1:
        tasks["step fp32 channels-last, 1 thread"] = bench.on_one_thread(trainer(CHANNELS_LAST)[0])
    tasks["step bf16 autocast channels-last"] = trainer(CHANNELS_LAST, bf16=True)[0]
    tasks["loop fp32 channels-last"] = loop
    torch.manual_seed(seed)
    model = build_model(config)

    def run_eval() -> int:
        evaluate(model, ImageData(data.images[:batch], data.labels[:batch]), device, batch)
        return batch

    tasks["evaluate fp32"] = run_eval
    return tasks


DESCRIPTIONS = {
    "decode": "decode JPEG, PIL (once per run, at start)",
    "loader": "loader alone: augment, normalise, collate",
}


def baseline_of(name: str) -> str | None:
    """The row a row's ``x fp32`` compares with: the float32 channels-last step for the steps, else none."""
    return "step fp32 channels-last" if name.startswith("step") else None


def run(config: TrainConfig, batch: int, steps: int, rounds: int, warmup: int = 1) -> dict[str, bench.Timing]:
    """Time every variant of ``build_tasks``; see the module docstring."""
    return bench.interleaved(build_tasks(config, batch, steps), rounds, warmup)


def format_table(timings: dict[str, bench.Timing]) -> list[str]:
    """``trainkit.bench.format_table`` in images, each step row against the float32 channels-last step."""
    return bench.format_table(timings, "img", baseline=baseline_of, labels=DESCRIPTIONS, ratio_header="x fp32")


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench.argument_parser("python -m cnn_vis.bench_train", __doc__, DEFAULT_CONFIG, steps=4)
    parser.add_argument("--batch", type=int, default=None, help="images a batch (default: the config's batch_size)")
    parser.add_argument("--epoch-images", type=int, default=49_000, help="images an epoch, for the estimate")
    args = parser.parse_args(argv)
    try:
        config = TrainConfig.load(args.config)
        with bench.torch_threads(args.threads):  # put back after: main may run in-process
            batch = config.batch_size if args.batch is None else args.batch
            print(
                f"bench-train {args.config}: CifarNet width {config.width}, batch {batch}, {args.steps} batch(es) a "
                f"variant and round, median of {args.rounds} rounds after {args.warmup} untimed, interleaved; CPU"
            )
            torch_line = f"  torch {torch.__version__}: {torch.get_num_threads()} threads"
            for line in bench.machine_lines(torch_threads=torch.get_num_threads(), extra=[torch_line]):
                print(line)
            timings = run(config, batch, args.steps, args.rounds, args.warmup)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in format_table(timings):
        print(line)
    loop = timings["loop fp32 channels-last"]
    seconds = args.epoch_images / loop.per_second
    print(
        f"load average at the end: {bench.load_average()}. An epoch of {args.epoch_images:,} images at the loop's "
        f"rate: {seconds:.0f} s; {config.epochs} epochs: {config.epochs * seconds / 60:.1f} min"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
