"""Staff only: write the held-out CIFAR-10 test images on which MyModel's checkpoint is graded.

    python grading/make_heldout.py --src DIR     (from assignment2/; DIR holds cifar10/{train,test}/<class>/)

1,000 test images, 100 a class, that are not in the handout's sample (``data/sample``): the
sample's own draw is replayed (``trainkit.images.sample_image_folder``: ``default_rng(0)``, per split and class), and
100 of each class's other 900 test images are drawn with ``default_rng(HELD_OUT_SEED)``. They
are decoded as the loader decodes them (RGB, uint8, channels first) into
``grading/data/cifar10_heldout.npz``, never part of a handout; the labels stay on the trusted side.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HELD_OUT = HERE / "data" / "cifar10_heldout.npz"
HELD_OUT_SEED = 20261126
PER_CLASS = 100


def make_heldout(src: Path, dest: Path = HELD_OUT) -> Path:
    sys.path.insert(0, str(HERE.parent))
    from PIL import Image

    from cifar_cnn.data import CLASSES

    root = Path(src) / "cifar10" if (Path(src) / "cifar10").is_dir() else Path(src)
    rng = np.random.default_rng(0)  # sample_image_folder's draw
    for name in CLASSES:
        rng.choice(len(list((root / "train" / name).iterdir())), size=20, replace=False)
    held = np.random.default_rng(HELD_OUT_SEED)
    images, labels = [], []
    for label, name in enumerate(CLASSES):
        files = sorted((root / "test" / name).iterdir())
        in_sample = rng.choice(len(files), size=100, replace=False)
        rest = np.setdiff1d(np.arange(len(files)), in_sample)
        for index in np.sort(held.choice(rest, size=PER_CLASS, replace=False)):
            with Image.open(files[index]) as im:
                images.append(np.asarray(im.convert("RGB")).transpose(2, 0, 1))  # (3, 32, 32)
            labels.append(label)
    dest.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(dest, images=np.stack(images), labels=np.array(labels, dtype=np.int64))
    return dest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", required=True, type=Path)
    print(make_heldout(parser.parse_args().src))
