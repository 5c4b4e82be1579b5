"""The data: a tiny synthetic image set made from a seed, or your own arrays from a folder.

Synthetic (no ``--data-dir``): each image holds one bar, horizontal (class 0), vertical (1) or
diagonal (2), at a random place, in Gaussian noise. It trains in seconds on a CPU, so the
starter can be run and tested anywhere; replace it with your project's data.

Your data (``--data-dir DIR``): ``DIR/train.npz`` and ``DIR/val.npz``, each with ``images``
(N, C, H, W) float32 and ``labels`` (N,) integer class indices from 0. Read with
``allow_pickle=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .config import ExperimentConfig

SYNTHETIC_CLASSES = ("horizontal", "vertical", "diagonal")


@dataclass(frozen=True)
class Split:
    """Images (N, C, H, W) float32 and labels (N,) int64, as tensors on the CPU."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]


@dataclass(frozen=True)
class Data:
    train: Split
    val: Split
    num_classes: int
    source: str  # what the data is, for metrics.json

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        C, H, W = self.train.images.shape[1:]
        return C, H, W


def make_bars(n: int, size: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` noisy images of a bar -> images (n, 1, size, size) float32, labels (n,) int64 in {0, 1, 2}."""
    labels = rng.integers(0, len(SYNTHETIC_CLASSES), size=n)
    where = rng.integers(2, size - 2, size=n)  # the bar's row, column or diagonal offset
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")  # (size, size) each
    at = where[:, None, None]  # (n, 1, 1), broadcast against (size, size)
    horizontal = rows[None] == at
    vertical = cols[None] == at
    diagonal = (cols - rows)[None] == at - size // 2
    kind = labels[:, None, None]
    bar = np.where(kind == 0, horizontal, np.where(kind == 1, vertical, diagonal))  # (n, size, size)
    images = bar.astype(np.float32) + noise * rng.standard_normal((n, size, size), dtype=np.float32)
    return images[:, None], labels.astype(np.int64)  # (n, 1, size, size), (n,)


def _load_split(path: Path) -> Split:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; --data-dir needs train.npz and val.npz (see starter/data.py)")
    with np.load(path, allow_pickle=False) as arrays:
        for key in ("images", "labels"):
            if key not in arrays:
                raise ValueError(f"{path}: no array {key!r}; found {sorted(arrays.files)}")
        images, labels = arrays["images"], arrays["labels"]
    if images.ndim != 4:
        raise ValueError(f"{path}: images: expected shape (N, C, H, W), got {images.shape}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"{path}: labels: expected shape ({images.shape[0]},), got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.size == 0 or labels.min() < 0:
        raise ValueError(f"{path}: labels: expected integer class indices from 0, got dtype {labels.dtype}")
    return Split(torch.from_numpy(images.astype(np.float32)), torch.from_numpy(labels.astype(np.int64)))


def load_data(config: ExperimentConfig, data_dir: str | Path | None = None) -> Data:
    """The synthetic set made from ``config.data_seed``, or the arrays in ``data_dir``."""
    if data_dir is None:
        train_rng, val_rng = np.random.default_rng(config.data_seed).spawn(2)
        size, noise = config.image_size, config.noise
        train = Split(*map(torch.from_numpy, make_bars(config.num_train, size, noise, train_rng)))
        val = Split(*map(torch.from_numpy, make_bars(config.num_val, size, noise, val_rng)))
        source = f"synthetic bars {size}x{size}, noise {noise:g}, data_seed {config.data_seed}"
        return Data(train, val, num_classes=len(SYNTHETIC_CLASSES), source=source)
    folder = Path(data_dir)
    train, val = _load_split(folder / "train.npz"), _load_split(folder / "val.npz")
    if train.images.shape[1:] != val.images.shape[1:]:
        raise ValueError(f"{folder}: train images {tuple(train.images.shape[1:])} and val images differ in shape")
    num_classes = int(max(train.labels.max(), val.labels.max())) + 1
    return Data(train, val, num_classes=num_classes, source=str(folder))
