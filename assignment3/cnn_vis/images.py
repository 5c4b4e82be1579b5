"""Images in and out: the committed style and content pictures, test images for the maps, normalisation.

A model sees images normalised per channel, ``(x - mean) / std`` with ``x`` in ``[0, 1]``;
figures show them back in ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

IMAGES_DIR = Path(__file__).resolve().parent.parent / "data" / "images"


def normalize(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 ``(N, 3, H, W)`` (or float in [0, 1]) -> float32 normalised per channel."""
    x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    return (x - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)


def denormalize(x: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Normalised ``(N, 3, H, W)`` -> ``(N, H, W, 3)`` float in [0, 1] for plotting (clipped)."""
    x = x.detach().cpu().float() * torch.tensor(std).view(1, -1, 1, 1) + torch.tensor(mean).view(1, -1, 1, 1)
    return x.clamp(0, 1).permute(0, 2, 3, 1).numpy()


def pixel_bounds(mean: Sequence[float], std: Sequence[float]) -> tuple[torch.Tensor, torch.Tensor]:
    """The normalised values of black and white, each ``(1, 3, 1, 1)``."""
    m, s = torch.tensor(mean).view(1, -1, 1, 1), torch.tensor(std).view(1, -1, 1, 1)
    return (0 - m) / s, (1 - m) / s


def load_image(name: str | Path, size: int) -> torch.Tensor:
    """An RGB picture (a name in data/images or a path) resized so that its shorter side is ``size``
    pixels, as uint8 ``(1, 3, H, W)``."""
    from PIL import Image

    path = Path(name) if Path(name).is_file() else IMAGES_DIR / name
    if not path.is_file():
        choices = sorted(p.name for p in IMAGES_DIR.glob("*.jpg"))
        raise FileNotFoundError(f"image {name!r}: not a file, nor one of {choices} in {IMAGES_DIR}")
    with Image.open(path) as im:
        im = im.convert("RGB")
        scale = size / min(im.size)
        im = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.Resampling.LANCZOS)
        hwc = np.asarray(im)
    return torch.from_numpy(hwc.copy()).permute(2, 0, 1).unsqueeze(0).contiguous()


def make_committed_images(src: str | Path, dest: str | Path = IMAGES_DIR, size: int = 256) -> list[Path]:
    """How data/images was made: each picture of ``src`` with its longer side resized to ``size``, JPEG quality 90."""
    from PIL import Image

    written = []
    for path in sorted(Path(src).glob("*.jpg")):
        with Image.open(path) as im:
            im = im.convert("RGB")
            scale = size / max(im.size)
            im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
            Path(dest).mkdir(parents=True, exist_ok=True)
            im.save(Path(dest) / path.name, quality=90)
            written.append(Path(dest) / path.name)
    return written
