"""The spread of a result over seeds: ``python -m trainkit.spread RUN_DIR... [--metric NAME ...]``.

Reads each run folder's metrics.json (written by :class:`trainkit.run.Run`) and prints, for each
result (a top-level number of metrics.json, such as ``test_accuracy``; every float unless
``--metric`` names some: ints are counts), the mean, the sample standard deviation (divided by n - 1), the
smallest and the largest value over the runs, and the seeds. Runs must share their config but
for the seed, so that the spread is that of one experiment repeated; a run that did not finish
is refused. This is how the READMEs' reference figures are made::

    make seeds A=assignment1 CONFIG=configs/two_layer.yaml SEEDS="0 1 2" DATA_DIR=...
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainkit.files import read_json

__all__ = ["Spread", "main", "spreads"]

SKIPPED = {"seconds_per_epoch", "train_seconds", "processes"}


@dataclass(frozen=True)
class Spread:
    """One result over n runs."""

    name: str
    mean: float
    std: float | None  # sample standard deviation; None for one run
    low: float
    high: float
    n: int

    def format(self, digits: int = 4) -> str:
        std = f" ± {self.std:.{digits}f}" if self.std is not None else ""
        low, high = f"{self.low:.{digits}f}", f"{self.high:.{digits}f}"
        return f"{self.name}: {self.mean:.{digits}f}{std} (min {low}, max {high}, n={self.n})"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def spreads(run_dirs: Sequence[str | Path], metrics: Sequence[str] = ()) -> tuple[list[Spread], list[Any]]:
    """The spread of each metric over ``run_dirs``, and the runs' seeds; ValueError naming the run otherwise."""
    if not run_dirs:
        raise ValueError("no run folders given")
    docs = []
    for run_dir in run_dirs:
        path = Path(run_dir)
        doc = read_json(path / "metrics.json" if path.is_dir() else path)
        if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
            raise ValueError(f"{path}: not a run's metrics.json (no config)")
        if doc.get("finished") is False:
            raise ValueError(f"{path}: the run did not finish (resume it with --resume)")
        docs.append((path, doc))
    first_path, first = docs[0]
    base = {k: v for k, v in first["config"].items() if k != "seed"}
    for path, doc in docs[1:]:
        other = {k: v for k, v in doc["config"].items() if k != "seed"}
        if other != base:
            changed = sorted(k for k in base.keys() | other.keys() if base.get(k) != other.get(k))
            raise ValueError(f"{path}: another config than {first_path} (differs in {changed}), not another seed")
    seeds = [doc["config"].get("seed") for _, doc in docs]
    if len(set(map(str, seeds))) != len(seeds):
        raise ValueError(f"runs share a seed: {seeds}")
    # By default every float result; ints are counts (num_train, ...), the same in every run.
    names = list(metrics) or [k for k, v in first.items() if isinstance(v, float) and _number(v) and k not in SKIPPED]
    out = []
    for name in names:
        values = []
        for path, doc in docs:
            if not _number(doc.get(name)):
                numbers = sorted(k for k, v in doc.items() if _number(v))
                raise ValueError(f"{path}: no number {name!r} in metrics.json; it has {numbers}")
            values.append(float(doc[name]))
        n = len(values)
        mean = math.fsum(values) / n
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
        out.append(Spread(name, mean, std, min(values), max(values), n))
    return out, seeds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainkit.spread", description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders (or their metrics.json)")
    parser.add_argument("--metric", action="append", default=[], help="a result to show (default: all)")
    parser.add_argument("--digits", type=int, default=4)
    args = parser.parse_args(argv)
    try:
        found, seeds = spreads(args.runs, args.metric)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(args.runs)} runs, seeds {seeds}")
    for spread in found:
        print("  " + spread.format(args.digits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
