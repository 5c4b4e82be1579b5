"""CIFAR-10 as an image-folder tree of files, decoded once into memory (``trainkit.images``).

Layout (what ``torchvision.datasets.ImageFolder`` reads), the same for the copy on the
course machines, for ``make data`` and for the committed sample::

    cifar10/train/<class>/0000.jpg ...   5,000 images a class (the sample: 20)
    cifar10/test/<class>/0000.jpg ...    1,000 images a class (the sample: 100)

The ten class folders, in ImageFolder's (alphabetical) order, are CIFAR-10's own label order.
Images are decoded once into a ``uint8`` tensor ``(N, 3, 32, 32)``; the torchvision
transforms (random crop with padding, horizontal flip, conversion to float, normalisation)
run per example as batches are drawn, so an epoch costs no decoding.

``DATA_DIR`` (or ``--data-dir``) may name the folder holding ``train/`` and ``test/``, its
parent holding ``cifar10/``, or a folder holding ``cifar10-jpg.tar.gz`` (as on the course
machines): the archive is then unpacked once into ``data/full/`` of this assignment.

Command line: ``python -m cifar_cnn.data download --dest data/full`` (needs internet) and
``python -m cifar_cnn.data make-sample --src DIR`` (how data/sample was made).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from trainkit import images
from trainkit.download import download as fetch_files
from trainkit.images import ImageData, InMemoryDataset, subset, train_val_split

__all__ = [
    "CLASSES",
    "MEAN",
    "SAMPLE_DIR",
    "STD",
    "ImageData",
    "InMemoryDataset",
    "download",
    "find_data",
    "load_split",
    "long_tailed",
    "make_transform",
    "resolve_data_dir",
    "subset",
    "train_val_split",
]

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
# Per-channel mean and standard deviation of the 50,000 training images, in [0, 1].
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)

ASSIGNMENT_DIR = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ASSIGNMENT_DIR / "data" / "sample" / "cifar10"
FULL_DIR = ASSIGNMENT_DIR / "data" / "full"
ARCHIVE = "cifar10-jpg.tar.gz"

# The binary version of CIFAR-10 (fixed-size records, no pickle), from its authors' page.
BINARY = "cifar-10-binary.tar.gz"
BINARY_MD5 = "c32a1d4ab5d03f1284b67883e8d87530"
MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)


def find_data(folder: str | Path, unpack_to: Path = FULL_DIR) -> Path:
    """The folder holding ``train/`` and ``test/``: ``folder``, its ``cifar10/``, or ``cifar10-jpg.tar.gz``
    in either, unpacked once into ``unpack_to``."""
    return images.find_image_folder(folder, "cifar10", ARCHIVE, unpack_to, "run `make data`, or set DATA_DIR")


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """``data_dir``, else ``DATA_DIR``, else the committed sample, through ``find_data``."""
    from trainkit.run import resolve_data

    return resolve_data(data_dir, SAMPLE_DIR, find_data).path


def load_split(root: str | Path, split: str) -> ImageData:
    """Decode every image of ``root/split`` into memory, in ImageFolder's (label) order."""
    return images.load_image_folder(Path(root) / split, CLASSES, (3, 32, 32))


def make_transform(augment: bool, crop_padding: int = 4) -> Callable[[torch.Tensor], torch.Tensor]:
    """uint8 ``(3, 32, 32)`` -> normalised float32; with ``augment``, a random 32 x 32 crop of the image
    padded by ``crop_padding`` zeros on each side and a horizontal flip with probability 1/2 come first."""
    return images.make_transform(MEAN, STD, augment, crop_padding)


def long_tailed(data: ImageData, imbalance_factor: float) -> ImageData:
    """The long-tailed training set of Cui et al. (imbalance.py): class ``c`` keeps its first ``n_c`` images."""
    from cifar_cnn.imbalance import long_tailed_counts, long_tailed_indices

    labels = data.labels.numpy()
    n_max = int(np.bincount(labels, minlength=len(CLASSES)).min())
    counts = long_tailed_counts(n_max, len(CLASSES), imbalance_factor)
    return subset(data, long_tailed_indices(labels, counts))


def download(dest: str | Path = FULL_DIR, mirrors: Sequence[str] = MIRRORS, **fetch_args) -> Path:
    """Download CIFAR-10 (binary version) with its md5 checked, write ``dest/cifar10/{train,test}/<class>/NNNN.png``."""
    dest = Path(dest)
    fetch_files(dest, {BINARY: BINARY_MD5}, mirrors, **fetch_args)
    return images.write_cifar_binary(dest / BINARY, dest / "cifar10", CLASSES)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cifar_cnn.data", description="CIFAR-10 download and sample")
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
        src = find_data(args.src)
        print(f"wrote {images.sample_image_folder(src, args.dest, CLASSES, {'train': 20, 'test': 100})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
