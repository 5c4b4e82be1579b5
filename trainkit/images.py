"""Image-folder data sets, decoded once into memory: finding and unpacking them, splitting, batching.

The layout is what ``torchvision.datasets.ImageFolder`` reads, one folder per split and class::

    <name>/train/<class>/0000.jpg ...
    <name>/test/<class>/0000.jpg ...

A data folder may hold the splits, a ``<name>/`` that holds them, or an archive of ``<name>/``
(``find_image_folder``), which is unpacked once, refusing members that are not plain files and
folders inside the destination. Each split is decoded once into a ``uint8`` tensor
``(N, C, H, W)`` (``load_image_folder``); the torchvision transforms (``make_transform``: random
crop and flip, conversion to float, normalisation) run per example as batches are drawn, so an
epoch costs no decoding. Nothing here knows a particular data set, except
``write_cifar_binary``, which turns the CIFAR-10 binary archive of its authors into this layout.
"""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch.utils.data import Dataset

__all__ = [
    "ImageData",
    "InMemoryDataset",
    "find_image_folder",
    "load_image_folder",
    "make_transform",
    "safe_members",
    "sample_image_folder",
    "subset",
    "train_val_split",
    "unpack_once",
    "write_cifar_binary",
    "write_image_folder",
]

SPLITS = ("train", "test")


class ImageData(NamedTuple):
    """Decoded images ``(N, C, H, W)`` uint8 and labels ``(N,)`` int64."""

    images: torch.Tensor
    labels: torch.Tensor


# --------------------------------------------------------------------------- finding and unpacking


def _split_root(folder: Path, name: str) -> Path | None:
    for candidate in (folder, folder / name):
        if all((candidate / split).is_dir() for split in SPLITS):
            return candidate
    return None


def safe_members(tar: tarfile.TarFile, archive: Path) -> list[tarfile.TarInfo]:
    """The members, when all are plain files and folders with relative paths inside the destination
    (what ``filter="data"`` allows; written out because some Python 3.11 releases lack the filter)."""
    members = tar.getmembers()
    for m in members:
        if not (m.isfile() or m.isdir()) or Path(m.name).is_absolute() or ".." in Path(m.name).parts:
            raise ValueError(f"{archive}: refusing to unpack {m.name!r} (not a plain file or folder inside it)")
    return members


def unpack_once(archive: Path, dest: Path) -> Path:
    """Unpack ``archive`` into ``dest`` unless a finished unpack of the same archive left its marker there."""
    marker = dest / ".unpacked"
    if not (marker.exists() and marker.read_text() == str(archive.resolve())):
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archive) as tar:
            tar.extractall(dest, members=safe_members(tar, archive))
        marker.write_text(str(archive.resolve()))
    return dest


def find_image_folder(folder: str | Path, name: str, archive: str, unpack_to: Path, hint: str = "") -> Path:
    """The folder holding ``train/`` and ``test/``: ``folder``, its ``name/``, or ``archive`` found in
    either, unpacked into ``unpack_to``. A FileNotFoundError says what was expected (and ``hint``)."""
    folder = Path(folder)
    root = _split_root(folder, name)
    if root is not None:
        return root
    for candidate in (folder / archive, folder / name / archive):
        if candidate.is_file():
            root = _split_root(unpack_once(candidate, unpack_to), name)
            if root is None:
                raise FileNotFoundError(f"{candidate}: unpacked into {unpack_to}, but found no {name}/train and test")
            return root
    advice = f" ({hint})" if hint else ""
    raise FileNotFoundError(f"data dir {folder}: expected train/ and test/ in it or its {name}/, or {archive}{advice}")


# --------------------------------------------------------------------------- decoding and splitting


def load_image_folder(folder: str | Path, classes: Sequence[str], shape: tuple[int, int, int]) -> ImageData:
    """Decode every image of ``folder`` (one subfolder a class) into memory, in ImageFolder's order.

    ``classes``: the class folders expected, in label order (ImageFolder sorts them by name);
    ``shape``: ``(C, H, W)`` of every image. Either differing raises a ValueError naming the folder.
    """
    from torchvision.datasets import ImageFolder

    # ImageFolder finds the files and labels; its loader (PIL) decodes each file to RGB, once.
    found = ImageFolder(str(folder))
    if tuple(found.classes) != tuple(classes):
        raise ValueError(f"{folder}: expected the class folders {tuple(classes)}, got {tuple(found.classes)}")
    hwc = np.stack([np.asarray(found.loader(path)) for path, _ in found.samples])  # (N, H, W, C)
    images = torch.from_numpy(hwc).permute(0, 3, 1, 2).contiguous()  # (N, C, H, W)
    if tuple(images.shape[1:]) != tuple(shape):
        raise ValueError(f"{folder}: expected images of shape {tuple(shape)}, got {tuple(images.shape[1:])}")
    labels = torch.tensor([label for _, label in found.samples], dtype=torch.int64)
    return ImageData(images, labels)


def subset(data: ImageData, indices: np.ndarray | torch.Tensor | Sequence[int]) -> ImageData:
    """The examples at ``indices``, in that order."""
    index = torch.as_tensor(np.asarray(indices), dtype=torch.int64)
    return ImageData(data.images[index], data.labels[index])


def train_val_split(data: ImageData, val_size: int, rng: np.random.Generator) -> tuple[ImageData, ImageData]:
    """A random ``val_size`` of the examples for validation, the rest for training (each in file order)."""
    n = data.labels.shape[0]
    if not 0 <= val_size < n:
        raise ValueError(f"val_size {val_size}: must be below the {n} training images")
    order = rng.permutation(n)
    return subset(data, np.sort(order[val_size:])), subset(data, np.sort(order[:val_size]))


class InMemoryDataset(Dataset):
    """Decoded uint8 images and their labels; ``transform`` (torchvision) runs on each image as it is drawn."""

    def __init__(self, data: ImageData, transform: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.images, self.labels, self.transform = data.images, data.labels, transform

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.transform(self.images[i]), self.labels[i]


def make_transform(
    mean: Sequence[float], std: Sequence[float], augment: bool, crop_padding: int = 4, size: int = 32
) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 ``(C, H, W)`` (or a batch) -> float32 normalised with ``mean`` and ``std``; with ``augment``, a
    random ``size x size`` crop of the image padded by ``crop_padding`` zeros and a horizontal flip with
    probability 1/2 come first (drawn from torch's global generator)."""
    from torchvision.transforms import v2

    steps = [v2.RandomCrop(size, padding=crop_padding), v2.RandomHorizontalFlip()] if augment else []
    return v2.Compose([*steps, v2.ToDtype(torch.float32, scale=True), v2.Normalize(list(mean), list(std))])


# --------------------------------------------------------------------------- writing


def write_image_folder(images: np.ndarray, labels: np.ndarray, dest: Path, classes: Sequence[str]) -> None:
    """Write uint8 ``(N, C, H, W)`` images as ``dest/<class>/NNNN.png`` (lossless), numbered within each class."""
    from PIL import Image

    counters = [0] * len(classes)
    for image, label in zip(images, labels, strict=True):
        folder = dest / classes[int(label)]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.ascontiguousarray(image.transpose(1, 2, 0))).save(folder / f"{counters[label]:04d}.png")
        counters[label] += 1


def write_cifar_binary(archive: Path, dest: Path, classes: Sequence[str]) -> Path:
    """Turn the CIFAR-10 binary archive (``cifar-10-binary.tar.gz``: fixed-size records, a label byte
    then the red, green and blue 32 x 32 planes; no pickle) into ``dest/{train,test}/<class>/NNNN.png``."""
    record = 1 + 3 * 32 * 32
    parts: dict[str, list[np.ndarray]] = {"train": [], "test": []}
    with tarfile.open(archive) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            name = Path(member.name).name
            split = "train" if name.startswith("data_batch_") else "test" if name == "test_batch.bin" else None
            if split is not None and member.isfile():
                raw = np.frombuffer(tar.extractfile(member).read(), dtype=np.uint8)
                parts[split].append(raw.reshape(-1, record))
    for split, records in parts.items():
        if not records:
            raise ValueError(f"{archive}: no {split} batches in the archive")
        table = np.concatenate(records)
        write_image_folder(table[:, 1:].reshape(-1, 3, 32, 32), table[:, 0], dest / split, classes)
    return dest


def sample_image_folder(
    src: str | Path, dest: str | Path, classes: Sequence[str], per_class: Mapping[str, int], seed: int = 0
) -> Path:
    """Copy ``per_class[split]`` images a class of each split, byte for byte: indices drawn with
    ``np.random.default_rng(seed)`` per split and class, without replacement, sorted."""
    src, dest = Path(src), Path(dest)
    rng = np.random.default_rng(seed)
    for split, count in per_class.items():
        for name in classes:
            files = sorted((src / split / name).iterdir())
            chosen = np.sort(rng.choice(len(files), size=count, replace=False))
            (dest / split / name).mkdir(parents=True, exist_ok=True)
            for i, index in enumerate(chosen):
                target = dest / split / name / f"{i:04d}{files[index].suffix}"
                target.write_bytes(files[index].read_bytes())
    return dest
