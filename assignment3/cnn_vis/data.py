"""CIFAR-10 for this assignment: the test images the commands explain, and the training data of
``make model``. The image-folder plumbing (finding, unpacking, decoding, splitting) is
``trainkit.images``; this module names the data set.

The committed sample, ``data/sample/cifar10/{train,test}/<class>/NNNN.jpg``, holds 10 images of
each class and split; ``DATA_DIR`` (or ``--data-dir``) names the full data: the folder holding
``train/`` and ``test/``, its parent holding ``cifar10/``, or a folder holding
``cifar10-jpg.tar.gz`` (unpacked once into ``data/full/``). ``python -m cnn_vis.data download
--dest data/full`` (``make data``) downloads the binary version of CIFAR-10 (needs internet) and
writes it as ``data/full/cifar10``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from trainkit import images
from trainkit.download import download

# Label order (the class folders, sorted); channel statistics of the 50,000 training images in [0, 1].
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)

HERE = Path(__file__).resolve().parent.parent
SAMPLE_DIR, FULL_DIR = HERE / "data" / "sample" / "cifar10", HERE / "data" / "full"


def find_data(folder: str | Path) -> Path:
    """The folder holding ``train/`` and ``test/`` (see the module docstring)."""
    return images.find_image_folder(folder, "cifar10", "cifar10-jpg.tar.gz", FULL_DIR, "make data, or DATA_DIR")


def load_split(root: str | Path, split: str) -> images.ImageData:
    """``root/split`` decoded: uint8 images ``(N, 3, 32, 32)``, labels ``(N,)``."""
    return images.load_image_folder(Path(root) / split, CLASSES, (3, 32, 32))


def transform(augment: bool):
    """uint8 images -> normalised float32, after a random crop (padding 4) and flip when ``augment``."""
    return images.make_transform(MEAN, STD, augment)


def main(argv: Sequence[str] | None = None) -> int:
    """``download --dest DIR``: CIFAR-10's binary version, md5 checked, written as ``DIR/cifar10``."""
    parser = argparse.ArgumentParser(prog="python -m cnn_vis.data", description="CIFAR-10 download")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("download", help="download CIFAR-10 (needs internet) into DEST/cifar10").add_argument(
        "--dest", default=str(FULL_DIR)
    )
    args = parser.parse_args(argv)
    dest, archive = Path(args.dest), "cifar-10-binary.tar.gz"
    download(dest, {archive: "c32a1d4ab5d03f1284b67883e8d87530"}, ["https://www.cs.toronto.edu/~kriz/"])
    print(f"wrote {images.write_cifar_binary(dest / archive, dest / 'cifar10', CLASSES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
