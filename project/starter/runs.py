"""Run helpers: seeding, the device, the progress bar, checkpoints, metrics.json and curves.png.

Each function does one job and knows nothing of the model or the data, so that the course can
move them into a shared staff library unchanged. Files are written atomically (a temporary
file, then a rename): a run killed while saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

T = TypeVar("T")

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


def resolve_device(name: str) -> torch.device:
    """``auto`` (CUDA when present, else the CPU), ``cpu`` or ``cuda``; a ValueError otherwise."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available here; use --device auto or cpu")
        return torch.device("cuda")
    raise ValueError(f"--device: expected auto, cpu or cuda, got {name!r}")


def progress(items: Iterable[T], *, enabled: bool, desc: str, total: int | None = None) -> Iterator[T]:
    """``items`` with a tqdm progress bar on stderr when ``enabled``."""
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, leave=False, dynamic_ncols=True)


def _atomic_write(path: Path, write: Any) -> None:
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def rng_state(device: torch.device) -> dict[str, Any]:
    """torch's global generator states (CPU, and CUDA on a CUDA device), to put in a checkpoint."""
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore what rng_state saved."""
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | Path, state: Mapping[str, Any]) -> None:
    """Save a checkpoint of tensors, numbers, strings, lists and dicts (loadable with ``weights_only=True``)."""
    _atomic_write(Path(path), lambda fh: torch.save(dict(state), fh))


def load_checkpoint(path: str | Path, device: torch.device) -> dict[str, Any]:
    """Load a checkpoint saved by save_checkpoint with ``weights_only=True`` (no pickled code runs)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint")
    return torch.load(path, map_location=device, weights_only=True)


def write_metrics(path: str | Path, metrics: Mapping[str, Any]) -> None:
    """Write ``metrics`` as indented JSON."""
    text = json.dumps(metrics, indent=2) + "\n"
    _atomic_write(Path(path), lambda fh: fh.write(text.encode("utf-8")))


def read_metrics(path: str | Path) -> dict[str, Any]:
    """Read a metrics.json; a run folder may be given for the file in it. Errors name the file."""
    path = Path(path)
    if path.is_dir():
        path = path / METRICS_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no metrics.json (did the run finish an epoch?)")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(metrics, dict) or not isinstance(metrics.get("config"), dict):
        raise ValueError(f"{path}: expected an object with a 'config' object")
    return metrics


def save_curves(epochs: Sequence[Mapping[str, float]], path: str | Path, title: str) -> None:
    """Loss and accuracy per epoch, training and validation, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    x = [e["epoch"] for e in epochs]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, key, label in ((ax_loss, "loss", "cross-entropy"), (ax_acc, "acc", "accuracy")):
        ax.plot(x, [e[f"train_{key}"] for e in epochs], marker="o", label="training (during the epoch)")
        ax.plot(x, [e[f"val_{key}"] for e in epochs], marker="o", label="validation")
        ax.set(xlabel="epoch", ylabel=label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    _atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=100))
    plt.close(fig)
