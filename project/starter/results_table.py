"""Turn several runs' metrics.json into a results table: mean and standard deviation over seeds.

``python -m project.starter.results_table RUN_DIR... [--format md|latex|typst] [--metric val_acc]``

Runs are grouped by their config minus ``seed``: runs that differ only in the seed are the
same experiment repeated. Each group is one row: its label (the config's ``name`` when the
names tell the groups apart, else the config values that differ between groups), the number
of seeds, and for each metric ``mean ± std`` of the final epoch's value over the seeds. The
standard deviation is the sample standard deviation (divided by n - 1); with one seed only the
mean is shown. Metrics are read from ``final`` in metrics.json (val_acc, val_loss, train_acc,
train_loss, best_val_acc, ...).
"""

from __future__ import annotations

import argparse
import enum
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .runs import read_metrics

DEFAULT_METRICS = ("val_acc", "val_loss")


class Format(enum.Enum):
    MARKDOWN = "md"
    LATEX = "latex"
    TYPST = "typst"


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation (None for a single value) of one metric over seeds."""

    mean: float
    std: float | None
    n: int


@dataclass(frozen=True)
class Group:
    """Runs whose configs are equal apart from the seed."""

    label: str
    config: dict[str, Any]  # the shared config, without seed
    seeds: tuple[int, ...]
    runs: tuple[Path, ...]
    stats: dict[str, Stat]  # metric -> statistic


def mean_std(values: Sequence[float]) -> Stat:
    """Mean and sample standard deviation (n - 1 in the denominator); std is None for one value."""
    n = len(values)
    if n == 0:
        raise ValueError("mean_std: no values")
    mean = math.fsum(values) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else None
    return Stat(mean=mean, std=std, n=n)


def _key(config: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in config.items() if k != "seed"}, sort_keys=True)


def _labels(configs: list[dict[str, Any]]) -> list[str]:
    """Names when they tell the groups apart, else the values that differ between the groups."""
    names = [str(c.get("name", "")) for c in configs]
    if len(set(names)) == len(names) and all(names):
        return names
    keys = sorted({k for c in configs for k in c})
    differing = [k for k in keys if len({json.dumps(c.get(k)) for c in configs}) > 1]
    return [", ".join(f"{k}={c.get(k)}" for k in differing) or names[i] or "run" for i, c in enumerate(configs)]


def summarise(run_dirs: Sequence[str | Path], metrics: Sequence[str] = DEFAULT_METRICS) -> list[Group]:
    """Read each run's metrics.json, group the runs by config minus seed, and average ``metrics`` over seeds.

    Groups come in the order their first run was given. Raises ValueError naming the run when a
    metric is missing or two runs of a group share a seed.
    """
    if not run_dirs:
        raise ValueError("no run folders given")
    grouped: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for run_dir in run_dirs:
        path = Path(run_dir)
        data = read_metrics(path)
        grouped.setdefault(_key(data["config"]), []).append((path, data))
    configs = [{k: v for k, v in runs[0][1]["config"].items() if k != "seed"} for runs in grouped.values()]
    groups = []
    for label, config, runs in zip(_labels(configs), configs, grouped.values(), strict=True):
        seeds = [data["config"].get("seed") for _, data in runs]
        if len(set(seeds)) != len(seeds):
            dup = sorted({str(s) for s in seeds if seeds.count(s) > 1})
            raise ValueError(f"group {label!r}: several runs with seed {', '.join(dup)}: {[str(p) for p, _ in runs]}")
        stats = {}
        for metric in metrics:
            values = []
            for path, data in runs:
                value = data.get("final", {}).get(metric)
                if not isinstance(value, int | float) or isinstance(value, bool):
                    known = sorted(data.get("final", {}))
                    raise ValueError(f"{path}: no number for metric {metric!r} in 'final'; it has {known}")
                values.append(float(value))
            stats[metric] = mean_std(values)
        groups.append(Group(label, config, tuple(seeds), tuple(p for p, _ in runs), stats))
    return groups


def format_stat(stat: Stat, digits: int, fmt: Format) -> str:
    """``mean ± std`` (``mean`` alone for one seed), in the output format's notation."""
    mean = f"{stat.mean:.{digits}f}"
    if stat.std is None:
        return f"${mean}$" if fmt is Format.LATEX else mean
    std = f"{stat.std:.{digits}f}"
    if fmt is Format.LATEX:
        return f"${mean} \\pm {std}$"
    return f"{mean} ± {std}"


def _latex_escape(text: str) -> str:
    out = text.replace("\\", r"\textbackslash{}")
    for char in "&%$#_{}":
        out = out.replace(char, "\\" + char)
    return out.replace("~", r"\textasciitilde{}").replace("^", r"\textasciicircum{}")


def _typst_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(groups: Sequence[Group], metrics: Sequence[str], fmt: Format, digits: int = 3) -> str:
    """The table as Markdown, a LaTeX tabular (booktabs) or a Typst table."""
    head = ["run", "seeds", *metrics]
    rows = [[g.label, str(len(g.seeds)), *(format_stat(g.stats[m], digits, fmt) for m in metrics)] for g in groups]
    if fmt is Format.MARKDOWN:
        lines = ["| " + " | ".join(head) + " |", "| --- | ---: |" + " ---: |" * len(metrics)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    if fmt is Format.LATEX:
        lines = [
            "% mean +- sample standard deviation over seeds; needs \\usepackage{booktabs}",
            "\\begin{tabular}{l" + "r" * (len(head) - 1) + "}",
            "\\toprule",
            " & ".join(_latex_escape(h) for h in head) + " \\\\",
            "\\midrule",
        ]
        lines += [" & ".join([_latex_escape(row[0]), *row[1:]]) + " \\\\" for row in rows]
        lines += ["\\bottomrule", "\\end{tabular}"]
        return "\n".join(lines) + "\n"
    lines = [
        "// mean ± sample standard deviation over seeds",
        "#table(",
        f"  columns: {len(head)},",
        "  align: (left," + " right," * (len(head) - 1) + "),",
        "  table.hline(),",
        "  table.header(" + ", ".join(_typst_string(h) for h in head) + "),",
        "  table.hline(stroke: 0.5pt),",
    ]
    lines += ["  " + ", ".join(_typst_string(cell) for cell in row) + "," for row in rows]
    lines += ["  table.hline(),", ")"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m project.starter.results_table", description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="run folders (each with a metrics.json)")
    parser.add_argument("--format", choices=[f.value for f in Format], default="md", help="md, latex or typst")
    parser.add_argument(
        "--metric", action="append", default=None, help=f"a metric from 'final' (repeatable; default {DEFAULT_METRICS})"
    )
    parser.add_argument("--digits", type=int, default=3, help="digits after the decimal point (default 3)")
    args = parser.parse_args(argv)
    metrics = tuple(args.metric) if args.metric else DEFAULT_METRICS
    try:
        groups = summarise(args.runs, metrics)
    except (OSError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(render(groups, metrics, Format(args.format), args.digits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
