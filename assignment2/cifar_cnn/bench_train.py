"""``make bench-train``: images per second of a short, fixed slice of training, and where the time goes.

Prints the machine first (``trainkit.bench``'s header, the same in every assignment: CPU model,
the instruction sets that decide oneDNN's kernels, CPUs and cgroup quota, the load average; then
torch's threads and oneDNN), then times, interleaved round by round in this one process so that a burst of load on
a shared machine hits every variant alike:

- ``decode``: decoding the committed sample's JPEG files (a run decodes its data once, at the start);
- ``loader``: the DataLoader alone, as training.py builds it from the config (augmentation,
  normalisation, collation, ``num_workers`` processes);
- ``step``: training.py's ``train_epoch`` on one fixed, already augmented batch (forward, loss,
  backward, optimizer step), in float32 and under bfloat16 autocast, with the batch and the model
  in the channels-last memory format (what training.py uses) and in the default NCHW one, and
  channels-last on one thread (when torch has more: what the other threads bring);
- ``loop``: ``train_epoch`` over the loader (loader and step together), channels-last, both precisions;
- ``evaluate``: training.py's ``evaluate`` (for the reference MyModel, with its test-time augmentation:
  six forward passes an image), both precisions.

The images are random ``uint8`` of CIFAR-10's shape: no timing depends on their content, and no data
set is needed. Each figure is the median over the rounds; ``cpu`` is the process's CPU time over the
wall time (200% = both of two cores busy: less means other work took the cores) and ``cpu ms/img``
that CPU time an image, which a loaded machine distorts less than the wall time (``--threads 1``
least: with two threads, waits at OpenMP barriers count too); ``x fp32`` is the throughput against
float32 channels-last of the same kind of row.

Compare two machines by running it on each: the header says what differs, the table where it costs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from cifar_cnn.config import ConfigError, TrainConfig
from cifar_cnn.data import SAMPLE_DIR, ImageData, load_split
from cifar_cnn.training import (
    build_criterion,
    build_model,
    evaluate,
    make_loader,
    make_optimizer,
    resolve_precision,
    train_epoch,
)
from trainkit import bench

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "mymodel.yaml"
CHANNELS_LAST, NCHW = torch.channels_last, torch.contiguous_format


def _parallel_summary() -> str:
    """The lines of ``torch.__config__.parallel_info()`` that name the backend and oneDNN, shortened."""
    wanted = ("ATen parallel backend", "MKL-DNN", "oneDNN")
    lines = [line.strip() for line in torch.__config__.parallel_info().splitlines()]
    picked = [line.split(" (Git Hash")[0] for line in lines if any(word in line for word in wanted)]
    return "; ".join(picked) if picked else "parallel info unavailable"


def torch_lines() -> list[str]:
    """torch's threads and oneDNN, for the machine header (``trainkit.bench.machine_lines``'s ``extra``)."""
    return [
        f"  torch {torch.__version__}: {torch.get_num_threads()} threads (interop {torch.get_num_interop_threads()});"
        f" oneDNN available {torch.backends.mkldnn.is_available()}",
        f"  {_parallel_summary()}",
    ]


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
        torch.arange(n, dtype=torch.int64) % 10,  # every class present, as the whitening and the loss expect
    )
    counts = [int(c) for c in torch.bincount(data.labels, minlength=10)]
    loader = make_loader(data, config, seed, device)
    fixed = [next(iter(loader))] * steps  # one augmented batch, stepped on ``steps`` times

    def trainer(precision: str, memory_format: torch.memory_format, batches) -> tuple[Callable[[], int], nn.Module]:
        torch.manual_seed(seed)
        model = build_model(config).to(device, memory_format=memory_format)
        optimizer = make_optimizer(model, config)
        criterion = build_criterion(config, counts)

        def run() -> int:
            train_epoch(model, criterion, optimizer, batches, device, precision=precision, memory_format=memory_format)
            return n

        return run, model

    def decode() -> int:
        return len(load_split(SAMPLE_DIR, "train").labels)

    def load() -> int:
        return sum(len(y) for _, y in loader)

    tasks: dict[str, Callable[[], int]] = {"decode": decode, "loader": load}
    models = {}
    for precision in ("fp32", "bf16"):
        for layout, memory_format in (("channels-last", CHANNELS_LAST), ("NCHW", NCHW)):
            tasks[f"step {precision} {layout}"], models[precision, layout] = trainer(precision, memory_format, fixed)
        if torch.get_num_threads() > 1:  # how much the second thread (and more) brings
            tasks[f"step {precision} channels-last, 1 thread"] = bench.on_one_thread(
                trainer(precision, CHANNELS_LAST, fixed)[0]
            )
    for precision in ("fp32", "bf16"):
        tasks[f"loop {precision} channels-last"], _ = trainer(precision, CHANNELS_LAST, loader)
    for precision in ("fp32", "bf16"):
        # The model its step variant trains (so that MyModel's whitening is set); evaluation works in NCHW.
        model = models[precision, "channels-last"]

        def run_eval(model=model, precision=precision) -> int:
            evaluate(model, ImageData(data.images[:batch], data.labels[:batch]), device, batch, precision)
            return batch

        tasks[f"evaluate {precision}"] = run_eval
    return tasks


DESCRIPTIONS = {
    "decode": "decode JPEG, PIL (once per run, at start)",
    "loader": "loader alone: augment, normalise, collate",
    "evaluate fp32": "evaluate fp32 (eval mode; MyModel: 6 passes)",
    "evaluate bf16": "evaluate bf16 (eval mode; MyModel: 6 passes)",
}


def baseline_of(name: str) -> str | None:
    """The row a row's ``x fp32`` compares with: the float32 channels-last row of its kind."""
    kind = name.split()[0]
    return {"step": "step fp32 channels-last", "loop": "loop fp32 channels-last", "evaluate": "evaluate fp32"}.get(kind)


def run(config: TrainConfig, batch: int, steps: int, rounds: int, warmup: int = 1) -> dict[str, bench.Timing]:
    """Time every variant of ``build_tasks``; see the module docstring."""
    return bench.interleaved(build_tasks(config, batch, steps), rounds, warmup)


def format_table(timings: dict[str, bench.Timing]) -> list[str]:
    """``trainkit.bench.format_table`` in images, each row against the float32 channels-last row of its kind."""
    return bench.format_table(timings, "img", baseline=baseline_of, labels=DESCRIPTIONS, ratio_header="x fp32")


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench.argument_parser("python -m cifar_cnn.bench_train", __doc__, DEFAULT_CONFIG, steps=1)
    parser.add_argument("--batch", type=int, default=None, help="images a batch (default: the config's batch_size)")
    parser.add_argument("--epoch-images", type=int, default=50_000, help="images an epoch, for the estimate")
    args = parser.parse_args(argv)
    try:
        config = TrainConfig.load(args.config)
        with bench.torch_threads(args.threads):  # put back after: main may run in-process
            batch = config.batch_size if args.batch is None else args.batch
            precision, why = resolve_precision(config.precision, torch.device("cpu"))
            print(
                f"bench-train {args.config}: model {config.model}, batch {batch}, {args.steps} batch(es) a variant "
                f"and round, median of {args.rounds} rounds after {args.warmup} untimed, interleaved; CPU"
            )
            for line in bench.machine_lines(torch_threads=torch.get_num_threads(), extra=torch_lines()):
                print(line)
            print(f"  make train here: precision {config.precision} -> {precision} ({why}), channels-last")
            timings = run(config, batch, args.steps, args.rounds, args.warmup)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:  # a handout whose models.py is not written yet
        print(f"error: {config.model} is not implemented yet (cifar_cnn/models.py): {exc}", file=sys.stderr)
        return 2
    for line in format_table(timings):
        print(line)
    loop = timings[f"loop {precision} channels-last"]
    print(
        f"load average at the end: {bench.load_average()}. An epoch of {args.epoch_images:,} images at the loop's "
        f"rate, {precision} as make train runs here: {args.epoch_images / loop.per_second:.0f} s "
        f"({args.epoch_images / timings['loop fp32 channels-last'].per_second:.0f} s fp32, "
        f"{args.epoch_images / timings['loop bf16 channels-last'].per_second:.0f} s bf16)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
