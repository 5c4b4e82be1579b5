"""Figures as PNG files: contact sheets of maps over their images, curves, the sanity-check plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def map_to_image(m: np.ndarray, signed: bool = False) -> np.ndarray:
    """A map for display: ``(H, W)`` scaled to [0, 1] by its maximum; ``(C, H, W)`` (a signed gradient)
    as an RGB image centred on grey, scaled by its largest absolute entry (as in Springenberg et al.)."""
    m = np.asarray(m, dtype=np.float64)
    if m.ndim == 3:
        scale = np.abs(m).max() or 1.0
        return np.clip(0.5 + 0.5 * m.transpose(1, 2, 0) / scale, 0, 1)
    if signed:
        scale = np.abs(m).max() or 1.0
        return np.clip(0.5 + 0.5 * m / scale, 0, 1)
    scale = m.max() or 1.0
    return np.clip(m / scale, 0, 1)


def contact_sheet(
    images: np.ndarray,
    maps: Sequence[np.ndarray],
    path: Path,
    title: str,
    labels: Sequence[str] = (),
    overlay: bool = False,
    cmap: str = "hot",
) -> Path:
    """One column per image: the image on top, its map below (over the image when ``overlay``).

    images ``(N, H, W, 3)`` in [0, 1]; maps, one per image: ``(H, W)`` (drawn with ``cmap``) or
    ``(C, H, W)`` (drawn as RGB).
    """
    plt = _plt()
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.3 * n + 0.4, 3.1), squeeze=False)
    for j in range(n):
        axes[0, j].imshow(images[j], interpolation="nearest")
        if labels:
            axes[0, j].set_title(labels[j], fontsize=7)
        shown = map_to_image(maps[j])
        if shown.ndim == 3:
            axes[1, j].imshow(shown, interpolation="nearest")
        else:
            if overlay:
                axes[1, j].imshow(images[j], interpolation="nearest")
            axes[1, j].imshow(shown, cmap=cmap, alpha=0.6 if overlay else 1.0, interpolation="bilinear")
        for ax in axes[:, j]:
            ax.axis("off")
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def image_grid(
    rows: Sequence[np.ndarray], path: Path, title: str, row_titles: Sequence[str] = (), labels: Sequence[str] = ()
) -> Path:
    """Rows of images ``(N, H, W, 3)`` in [0, 1] (or ``(N, H, W)`` maps), one figure."""
    plt = _plt()
    n = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), n, figsize=(1.3 * n + 0.6, 1.4 * len(rows) + 0.4), squeeze=False)
    for i, row in enumerate(rows):
        for j in range(n):
            ax = axes[i, j]
            ax.axis("off")
            if j < len(row):
                ax.imshow(row[j], cmap="gray" if row[j].ndim == 2 else None, interpolation="nearest")
                if i == 0 and labels:
                    ax.set_title(labels[j], fontsize=7)
        if row_titles:
            axes[i, 0].text(
                -0.1, 0.5, row_titles[i], transform=axes[i, 0].transAxes, ha="right", va="center", fontsize=7
            )
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def line_plot(
    series: dict[str, Sequence[float]],
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
    xticks: Sequence[str] = (),
    log: bool = False,
) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, values in series.items():
        ax.plot(np.arange(len(values)), values, marker="o" if len(values) < 30 else None, label=name)
    if xticks:
        ax.set_xticks(np.arange(len(xticks)), xticks, rotation=45, ha="right", fontsize=8)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
