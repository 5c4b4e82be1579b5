"""``make bench-train``: images per second of a short, fixed slice of training, and where the time goes.

Prints the machine first (CPU model and instruction sets, CPUs and cgroup quota, the BLAS NumPy
uses and its thread variables, the load average: ``trainkit.bench``, the same header as the other
assignments' benches), then times, interleaved round by round in this one process so that a
burst of load on a shared machine hits every variant alike:

- ``batches``: ``iterate_minibatches`` alone (the shuffled copy of each batch);
- ``step``: ``train_epoch`` on fixed batches (forward, backward, the SGD step) for the config's
  batch size in float32 (the data's and the parameters' type), in float64, and with batches of
  a quarter and four times the size (what the batch size costs);
- ``loop``: ``train_epoch`` over ``iterate_minibatches`` (batching and step together), float32;
- ``evaluate``: ``evaluate`` on as many images (forward only, batches of 2,000).

The images are random, of MNIST's shape: no timing depends on their content, and no data set is
needed. NumPy's BLAS picks its thread count when NumPy is imported: compare
``OPENBLAS_NUM_THREADS=1 make bench-train`` with ``make bench-train`` to see what the second core
brings. Each figure is the median over the rounds; ``cpu`` is the process's CPU time over the
wall time (200% = both of two cores busy).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mnist_mlp.config import TrainConfig
from mnist_mlp.optim import SGD
from mnist_mlp.training import build_model, evaluate, iterate_minibatches, train_epoch
from trainkit import bench
from trainkit.config import ConfigError

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "two_layer.yaml"
INPUT_DIM, NUM_CLASSES = 784, 10


def blas_line() -> str:
    """Which BLAS NumPy was built with, as ``numpy.show_config`` says."""
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"  NumPy {np.__version__}: BLAS {info.get('name', '?')} {info.get('version', '')}".rstrip()
    except (KeyError, TypeError, ValueError):
        return f"  NumPy {np.__version__}: BLAS unknown"


def build_tasks(config: TrainConfig, steps: int, seed: int = 0) -> dict[str, Callable[[], int]]:
    """The timed variants, by name; each call processes ``steps`` batches (of its batch size)."""
    if steps < 1:
        raise ValueError(f"--steps: expected >= 1, got {steps}")
    rng = np.random.default_rng(seed)
    n = steps * config.batch_size * 4  # enough for the largest batch variant
    X = rng.random((n, INPUT_DIM), dtype=np.float32)
    y = np.arange(n) % NUM_CLASSES

    def trainer(batch: int, dtype: type) -> Callable[[], int]:
        model = build_model(config, INPUT_DIM, NUM_CLASSES, np.random.default_rng(seed))
        model.params = {k: v.astype(dtype) for k, v in model.params.items()}
        optimizer = SGD(config.learning_rate, reg=config.reg, momentum=config.momentum)
        fixed = [(X[i * batch : (i + 1) * batch].astype(dtype), y[i * batch : (i + 1) * batch]) for i in range(steps)]

        def run() -> int:
            train_epoch(model, optimizer, fixed)
            return batch * steps

        return run

    b = config.batch_size
    part = slice(0, b * steps)
    order = np.random.default_rng(seed)
    loop_model = build_model(config, INPUT_DIM, NUM_CLASSES, np.random.default_rng(seed))
    loop_optimizer = SGD(config.learning_rate, reg=config.reg, momentum=config.momentum)

    def batches() -> int:
        return sum(len(yb) for _, yb in iterate_minibatches(X[part], y[part], b, order))

    def loop() -> int:
        train_epoch(loop_model, loop_optimizer, iterate_minibatches(X[part], y[part], b, order))
        return b * steps

    def run_evaluate() -> int:
        evaluate(loop_model, X[part], y[part])
        return b * steps

    return {
        "batches": batches,
        f"step float32, batch {b}": trainer(b, np.float32),
        f"step float64, batch {b}": trainer(b, np.float64),
        f"step float32, batch {max(1, b // 4)}": trainer(max(1, b // 4), np.float32),
        f"step float32, batch {4 * b}": trainer(4 * b, np.float32),
        "loop float32": loop,
        "evaluate float32": run_evaluate,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench.argument_parser("python -m mnist_mlp.bench_train", __doc__, DEFAULT_CONFIG, steps=20, threads=False)
    parser.add_argument("--epoch-images", type=int, default=59_000, help="images an epoch, for the estimate")
    args = parser.parse_args(argv)
    try:
        config = TrainConfig.load(args.config)
        tasks = build_tasks(config, args.steps)
        print(
            f"bench-train {args.config}: model {config.model}, batch {config.batch_size}, {args.steps} batches a "
            f"variant and round, median of {args.rounds} rounds after {args.warmup} untimed, interleaved; CPU"
        )
        for line in bench.machine_lines(extra=[blas_line()]):
            print(line)
        timings = bench.interleaved(tasks, args.rounds, args.warmup)
    except (ConfigError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except NotImplementedError as exc:  # a handout whose model is not written yet
        print(f"error: {config.model} is not implemented yet (mnist_mlp/models.py): {exc}", file=sys.stderr)
        return 2
    base = f"step float32, batch {config.batch_size}"
    for line in bench.format_table(timings, "img", baseline=lambda name: base if name.startswith("step") else None):
        print(line)
    loop = timings["loop float32"]
    print(
        f"load average at the end: {bench.load_average()}. An epoch of {args.epoch_images:,} images at the loop's "
        f"rate: {args.epoch_images / loop.per_second:.1f} s, plus validation"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
