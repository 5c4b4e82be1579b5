"""CIFAR-10 as an image-folder tree of files, decoded once into memory.

Layout (what ``torchvision.datasets.ImageFolder`` reads), the same for the copy on the
course machines, for ``make data`` and for the committed sample::

    cifar10/train/<class>/0000.jpg ...   5,000 images a class (the sample: 10)
    cifar10/test/<class>/0000.jpg ...    1,000 images a class (the sample: 10)

The ten class folders, in ImageFolder's (alphabetical) order, are CIFAR-10's own label order.
Images are decoded once into a ``uint8`` tensor ``(N, 3, 32, 32)``; the torchvision
transforms (random crop with padding, horizontal flip, conversion to float, normalisation)
run per example as batches are drawn, so an epoch costs no decoding.

``DATA_DIR`` (or ``--data-dir``) may name the folder holding ``train/`` and ``test/``, its
parent holding ``cifar10/``, or a folder holding ``cifar10-jpg.tar.gz`` (as on the course
machines): the archive is then unpacked once into ``data/full/`` of this assignment.

Command line: ``python -m cnn_vis.data download --dest data/full`` (needs internet) and
``python -m cnn_vis.data make-sample --src DIR`` (how data/sample was made).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# Per-channel mean and standard deviation of the 50,000 training images, in [0, 1].
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ASSIGNMENT_DIR / "data" / "sample" / "cifar10"
FULL_DIR = ASSIGNMENT_DIR / "data" / "full"
ARCHIVE = "cifar10-jpg.tar.gz"

# The binary version of CIFAR-10 (fixed-size records, no pickle), from its authors' page.
BINARY_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
BINARY_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
_RECORD = 1 + 3 * 32 * 32  # label byte, then the red, green and blue planes


class ImageData(NamedTuple):
    """Decoded images ``(N, 3, 32, 32)`` uint8 and labels ``(N,)`` int64."""

    images: torch.Tensor
    labels: torch.Tensor


# --------------------------------------------------------------------------- finding the data


def _split_root(folder: Path) -> Path | None:
    for candidate in (folder, folder / "cifar10"):
        if (candidate / "train").is_dir() and (candidate / "test").is_dir():
            return candidate
    return None


def _safe_members(tar: tarfile.TarFile, archive: Path) -> list[tarfile.TarInfo]:
    """Plain files and folders with relative paths inside the destination (what ``filter="data"`` allows;
    written out here because some Python 3.11 releases lack the filter)."""
    members = tar.getmembers()
    for m in members:
        parts = Path(m.name).parts
        if not (m.isfile() or m.isdir()) or Path(m.name).is_absolute() or ".." in parts:
            raise ValueError(
                f"{archive}: refusing to unpack {m.name!r} (not a plain file or folder inside the archive)"
            )
    return members


def unpack_archive(archive: Path, dest: Path = FULL_DIR) -> Path:
    """Unpack ``cifar10-jpg.tar.gz`` into ``dest`` (once: a finished unpack leaves a marker file)."""
    marker = dest / ".unpacked"
    if not (marker.exists() and marker.read_text() == str(archive.resolve())):
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, members=_safe_members(tar, archive))
        marker.write_text(str(archive.resolve()))
    root = _split_root(dest)
    if root is None:
        raise FileNotFoundError(f"{archive}: unpacked into {dest}, but found no cifar10/train and cifar10/test there")
    return root


def resolve_data_dir(data_dir: str | Path | None = None, unpack_to: Path = FULL_DIR) -> Path:
    """The folder holding ``train/`` and ``test/``: from ``data_dir``, else ``DATA_DIR``, else the sample.

    A folder that holds only ``cifar10-jpg.tar.gz`` (or whose ``cifar10/`` does) is unpacked into ``unpack_to``.
    """
    given = data_dir if data_dir is not None else os.environ.get("DATA_DIR")
    if not given:
        return SAMPLE_DIR
    folder = Path(given).expanduser()
    root = _split_root(folder)
    if root is not None:
        return root
    for candidate in (folder / ARCHIVE, folder / "cifar10" / ARCHIVE):
        if candidate.is_file():
            return unpack_archive(candidate, unpack_to)
    raise FileNotFoundError(
        f"data dir {folder}: expected train/ and test/ in it or in its cifar10/, or {ARCHIVE} "
        "(run `make data` on a machine with internet, or set DATA_DIR)"
    )


# --------------------------------------------------------------------------- decoding


def load_split(root: str | Path, split: str) -> ImageData:
    """Decode every image of ``root/split`` (ImageFolder layout) into memory, in ImageFolder's order."""
    from torchvision.datasets import ImageFolder

    # ImageFolder finds the files and labels; its loader (PIL) decodes each file to RGB, once.
    folder = ImageFolder(str(Path(root) / split))
    if tuple(folder.classes) != CLASSES:
        raise ValueError(f"{Path(root) / split}: expected the class folders {CLASSES}, got {tuple(folder.classes)}")
    hwc = np.stack([np.asarray(folder.loader(path)) for path, _ in folder.samples])  # (N, 32, 32, 3)
    images = torch.from_numpy(hwc).permute(0, 3, 1, 2).contiguous()  # (N, 3, 32, 32)
    if images.shape[1:] != (3, 32, 32):
        raise ValueError(f"{Path(root) / split}: expected 32 x 32 colour images, got {tuple(images.shape[1:])}")
    labels = torch.tensor([label for _, label in folder.samples], dtype=torch.int64)
    return ImageData(images, labels)


class InMemoryDataset(Dataset):
    """Decoded uint8 images and their labels; ``transform`` (torchvision) runs on each image as it is drawn."""

    def __init__(self, data: ImageData, transform: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.images, self.labels, self.transform = data.images, data.labels, transform

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(self.images[i]), self.labels[i]


def make_transform(augment: bool, crop_padding: int = 4) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 ``(3, 32, 32)`` -> normalised float32; with ``augment``, a random 32 x 32 crop of the image
    padded by ``crop_padding`` zeros on each side and a horizontal flip with probability 1/2 come first."""
    from torchvision.transforms import v2

    steps = [v2.RandomCrop(32, padding=crop_padding), v2.RandomHorizontalFlip()] if augment else []
    return v2.Compose([*steps, v2.ToDtype(torch.float32, scale=True), v2.Normalize(MEAN, STD)])


def subset(data: ImageData, indices: np.ndarray | torch.Tensor) -> ImageData:
    index = torch.as_tensor(np.asarray(indices), dtype=torch.int64)
    return ImageData(data.images[index], data.labels[index])


def train_val_split(data: ImageData, val_size: int, rng: np.random.Generator) -> tuple[ImageData, ImageData]:
    """A random ``val_size`` of the examples for validation, the rest for training."""
    if not 0 <= val_size < data.labels.shape[0]:
        raise ValueError(f"val_size {val_size}: must be below the {data.labels.shape[0]} training images")
    order = rng.permutation(data.labels.shape[0])
    return subset(data, np.sort(order[val_size:])), subset(data, np.sort(order[:val_size]))


# --------------------------------------------------------------------------- download


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()


def write_image_folder(images: np.ndarray, labels: np.ndarray, dest: Path) -> None:
    """Write ``(N, 3, 32, 32)`` uint8 images as ``dest/<class>/NNNN.png`` (lossless), numbered within each class."""
    from PIL import Image

    counters = [0] * len(CLASSES)
    for image, label in zip(images, labels, strict=True):
        folder = dest / CLASSES[int(label)]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(image.transpose(1, 2, 0))).save(folder / f"{counters[label]:04d}.png")
        counters[label] += 1


def download(
    dest: str | Path = FULL_DIR,
    url: str = BINARY_URL,
    md5: str = BINARY_MD5,
    fetch: Callable[[str], bytes] = _fetch,
) -> Path:
    """Download CIFAR-10 (binary version), check its md5, write ``dest/cifar10/{train,test}/<class>/NNNN.png``."""
    data = fetch(url)
    got = hashlib.md5(data).hexdigest()
    if got != md5:
        raise RuntimeError(f"{url}: md5 {got}, expected {md5}: the download is corrupt or was changed")
    parts: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            name = Path(member.name).name
            split = "train" if name.startswith("data_batch_") else "test" if name == "test_batch.bin" else None
            if split is not None:
                raw = np.frombuffer(tar.extractfile(member).read(), dtype=np.uint8)
                parts[split].append(raw.reshape(-1, _RECORD))
    root = Path(dest) / "cifar10"
    for split, records in parts.items():
        if not records:
            raise RuntimeError(f"{url}: no {split} batches in the archive")
        table = np.concatenate(records)
        write_image_folder(table[:, 1:].reshape(-1, 3, 32, 32), table[:, 0], root / split)
    return root


def make_sample(src: str | Path, dest: str | Path = SAMPLE_DIR, train_per_class: int = 10, test_per_class: int = 10):
    """Copy a few images a class from a full tree, byte for byte: indices drawn with
    ``np.random.default_rng(0)`` per split and class, without replacement, sorted."""
    src, dest = Path(src), Path(dest)
    rng = np.random.default_rng(0)
    for split, per_class in (("train", train_per_class), ("test", test_per_class)):
        for name in CLASSES:
            files = sorted((src / split / name).iterdir())
            chosen = np.sort(rng.choice(len(files), size=per_class, replace=False))
            (dest / split / name).mkdir(parents=True, exist_ok=True)
            for i, index in enumerate(chosen):
                target = dest / split / name / f"{i:04d}{files[index].suffix}"
                target.write_bytes(files[index].read_bytes())
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnn_vis.data", description="CIFAR-10 download and sample")
    sub = parser.add_subparsers(dest="command", required=True)
    p_dl = sub.add_parser("download", help="download CIFAR-10 (needs internet) into DEST/cifar10")
    p_dl.add_argument("--dest", default=str(FULL_DIR))
    p_sample = sub.add_parser("make-sample", help="copy the committed sample from a full tree")
    p_sample.add_argument("--src", required=True, help="folder with train/ and test/ (or a DATA_DIR)")
    p_sample.add_argument("--dest", default=str(SAMPLE_DIR))
    args = parser.parse_args(argv)
    if args.command == "download":
        print(f"wrote {download(args.dest)}")
    else:
        print(f"wrote {make_sample(resolve_data_dir(args.src), args.dest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
