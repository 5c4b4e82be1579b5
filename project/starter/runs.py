"""Run helpers the starter adds to trainkit's: seeding, reading metrics.json.

The rest (the device, the progress bar, torch's generator states, atomic writes, checkpoints,
metrics.json, curves.png) is trainkit's: ``trainkit.run``, ``trainkit.files``, ``trainkit.plots``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from trainkit.files import read_json

__all__ = [
    "CHECKPOINT_NAME",
    "CURVES_NAME",
    "METRICS_NAME",
    "read_metrics",
    "seed_everything",
]

CHECKPOINT_NAME = "checkpoint.pt"
METRICS_NAME = "metrics.json"
CURVES_NAME = "curves.png"


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's global generators; return a torch generator for the batch order.

    The model's initial weights and dropout draw from torch's global generator; the batch order
    draws from the returned generator, so that its state can be saved and restored on its own.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def read_metrics(path: str | Path) -> dict[str, Any]:
    """Read a metrics.json; a run folder may be given for the file in it. Errors name the file."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no metrics.json (did the run finish an epoch?)")
    metrics = read_json(path)
    if not isinstance(metrics, dict) or not isinstance(metrics.get("config"), dict):
        raise ValueError(f"{path}: expected an object with a 'config' object")
    return metrics
