"""curves.png: one panel per measured quantity, training and validation curves over epochs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from trainkit.files import atomic_write

__all__ = ["save_curves"]

_LABELS = {"loss": "loss", "acc": "accuracy", "ppl": "perplexity", "bleu": "BLEU"}


def _panels(epochs: Sequence[Mapping[str, float]]) -> list[str]:
    """The quantities that have a ``train_`` or ``val_`` curve, in the order they first appear."""
    names: list[str] = []
    for epoch in epochs:
        for key in epoch:
            for prefix in ("train_", "val_"):
                if key.startswith(prefix) and key[len(prefix) :] not in names:
                    names.append(key[len(prefix) :])
    return names


def save_curves(epochs: Sequence[Mapping[str, float]], path: str | Path, title: str) -> Path:
    """Plot each ``train_X`` / ``val_X`` of the per-epoch dicts (each with ``epoch``) against the epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = _panels(epochs) or ["loss"]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        for prefix, label in (("train_", "training (during the epoch)"), ("val_", "validation")):
            points = [(e["epoch"], e[prefix + name]) for e in epochs if e.get(prefix + name) is not None]
            if points:
                ax.plot(*zip(*points, strict=True), marker="o", label=label)
        ax.set(xlabel="epoch", ylabel=_LABELS.get(name, name), title=_LABELS.get(name, name))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.has_data():
            ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=100))
    plt.close(fig)
    return Path(path)
