"""Staff only: write the held-out MNIST digits on which the hidden training case is graded.

    python grading/make_heldout.py --src DATA_DIR      (from assignment1/; DATA_DIR holds full MNIST)

500 digits of the MNIST test set that are not in the handout's sample (``data/sample``): the
sample's own draw is replayed (``make_sample``: ``default_rng(0)``, 2,000 training indices
and then 500 test indices), and 500 of the other 9,500 test digits are drawn with
``default_rng(HELD_OUT_SEED)``, sorted. The result, ``grading/data/mnist_heldout.npz``, is
never part of a handout; its labels stay on the trusted side of the grader.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HELD_OUT = HERE / "data" / "mnist_heldout.npz"
HELD_OUT_SEED = 20261126
N_HELD_OUT = 500


def make_heldout(src: Path, dest: Path = HELD_OUT) -> Path:
    sys.path.insert(0, str(HERE.parent))
    from mnist_mlp.data import IMAGES_MAGIC, LABELS_MAGIC, find_data, read_idx

    folder = find_data(src)
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz", IMAGES_MAGIC)  # (10000, 28, 28) uint8
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz", LABELS_MAGIC)
    rng = np.random.default_rng(0)  # make_sample's draw: training indices first, then test
    rng.choice(60000, size=2000, replace=False)
    in_sample = rng.choice(images.shape[0], size=500, replace=False)
    rest = np.setdiff1d(np.arange(images.shape[0]), in_sample)
    pick = np.sort(np.random.default_rng(HELD_OUT_SEED).choice(rest, size=N_HELD_OUT, replace=False))
    dest.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(dest, images=images[pick].reshape(N_HELD_OUT, -1), labels=labels[pick].astype(np.int64))
    return dest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", required=True, type=Path)
    print(make_heldout(parser.parse_args().src))
