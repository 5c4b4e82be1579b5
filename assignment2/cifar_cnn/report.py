"""Compare training runs class by class: per-class test accuracy as a table and a bar chart.

    python -m cifar_cnn.report runs/longtail_ce runs/longtail_focal --out runs/longtail.png

Each argument is the output folder of a run (its ``metrics.json``). The table lists every
class with its number of training images (of the first run) and each run's test accuracy
on it; the last line is the test accuracy over all classes, which on CIFAR-10's balanced
test set is the mean of the class accuracies.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def load_run(folder: str | Path) -> dict[str, Any]:
    """The ``metrics.json`` of a run folder; ValueError naming the file when it is missing or not a run's."""
    path = Path(folder) / "metrics.json"
    if not path.is_file():
        raise ValueError(f"{path}: no such file (is {folder} the output folder of a training run?)")
    metrics = json.loads(path.read_text())
    for key in ("config", "test_accuracy", "test_accuracy_per_class", "train_class_counts"):
        if key not in metrics:
            raise ValueError(f"{path}: no {key!r}; expected the metrics.json that cifar_cnn.train writes")
    return metrics


def describe(config: dict[str, Any]) -> str:
    """A short label of a run's loss, e.g. ``focal (gamma 1, class-balanced beta 0.9999 after epoch 20)``."""
    if config.get("loss") == "focal":
        weights = f", class-balanced beta {config['reweight_beta']:g}" if config.get("reweight_beta", 0) > 0 else ""
        if weights and config.get("reweight_start_epoch"):
            weights += f" after epoch {config['reweight_start_epoch']}"
        return f"focal (gamma {config['focal_gamma']:g}{weights})"
    smoothing = config.get("label_smoothing", 0.0)
    return "cross-entropy" + (f" (label smoothing {smoothing:g})" if smoothing else "")


def table(runs: Sequence[dict[str, Any]], labels: Sequence[str]) -> str:
    """Per-class accuracies of the runs, one row a class, then the overall accuracy."""
    classes = list(runs[0]["test_accuracy_per_class"])
    counts = runs[0]["train_class_counts"]
    width = max(14, *(len(label) for label in labels))
    lines = [f"{'class':<11}{'train':>7}  " + "".join(f"{label:>{width + 2}}" for label in labels)]
    for k, name in enumerate(classes):
        accs = "".join(f"{run['test_accuracy_per_class'][name]:>{width + 2}.3f}" for run in runs)
        lines.append(f"{name:<11}{counts[k]:>7}  {accs}")
    lines.append(f"{'all':<11}{sum(counts):>7}  " + "".join(f"{run['test_accuracy']:>{width + 2}.4f}" for run in runs))
    return "\n".join(lines)


def plot(runs: Sequence[dict[str, Any]], labels: Sequence[str], path: Path, title: str = "") -> None:
    """Grouped bars of per-class test accuracy, classes in label order with their training counts."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    classes = list(runs[0]["test_accuracy_per_class"])
    counts = runs[0]["train_class_counts"]
    x = np.arange(len(classes))
    width = 0.8 / len(runs)
    fig, ax = plt.subplots(figsize=(11, 4.5))
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        accs = [run["test_accuracy_per_class"][c] for c in classes]
        ax.bar(x + (i - (len(runs) - 1) / 2) * width, accs, width, label=f"{label}: {run['test_accuracy']:.3f} overall")
    ax.set_xticks(x, [f"{c}\n{n}" for c, n in zip(classes, counts, strict=True)])
    # Room above the bars for the legend, which would otherwise hide some of them.
    ax.set(ylabel="test accuracy", ylim=(0, 1 + 0.1 * (len(runs) + 1)), xlabel="class (training images)", title=title)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cifar_cnn.report", description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="output folders of training runs")
    parser.add_argument("--out", default=None, help="PNG file for the bar chart (none if not given)")
    parser.add_argument("--title", default="Per-class test accuracy")
    args = parser.parse_args(argv)
    try:
        runs = [load_run(folder) for folder in args.runs]
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    labels = [describe(run["config"]) for run in runs]
    if len(set(labels)) < len(labels):  # same loss: tell the runs apart by folder
        labels = [f"{Path(folder).name}: {label}" for folder, label in zip(args.runs, labels, strict=True)]
    print(table(runs, labels))
    if args.out:
        plot(runs, labels, Path(args.out), args.title)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
